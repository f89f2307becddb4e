;; hostile on demand: behaves (answers {"request":{"ok":true}}) unless the
;; envelope's plugin config says {"mode": "<m>"}, then misbehaves:
;; loop (endless loop), grow (unbounded memory growth), recurse (deep recursion),
;; trap (unreachable), oob (output pointer outside memory), big (2 MiB output),
;; junk (non-JSON output), chatty (10000 agentshape.log calls, then behaves).
;; Tests call it badly, then well, on the same loaded
;; plugin to prove a faulty instance is discarded and the next call succeeds.
(module
  (import "agentshape" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"request\":{\"ok\":true}}") ;; 23 bytes
  (data (i32.const 64) "this is not JSON!")
  (func (export "agentshape_abi_v1"))
  ;; alloc: the envelope always goes to 1024 (grown into place when needed).
  (func (export "alloc") (param $size i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (i32.const 1024) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.sub (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1)) (memory.size)))
                        (i32.const -1))
              (then unreachable))))
    (i32.const 1024))
  ;; modeByte(ptr, len) -> first byte after "mode":" in the envelope, or 0.
  (func $modeByte (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $end i32)
    (local.set $i (local.get $p))
    (local.set $end (i32.sub (i32.add (local.get $p) (local.get $n)) (i32.const 9)))
    (block $none
      (loop $scan
        (br_if $none (i32.ge_s (local.get $i) (local.get $end)))
        ;; "mode":" = 22 6d 6f 64 65 22 3a 22
        (if (i64.eq (i64.load (local.get $i)) (i64.const 0x223a2265646f6d22))
          (then (return (i32.load8_u (i32.add (local.get $i) (i32.const 8))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i32.const 0))
  (func $down (param $n i32) (result i32)
    (i32.add (call $down (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func (export "shape") (param $p i32) (param $n i32) (result i64)
    (local $m i32)
    (local.set $m (call $modeByte (local.get $p) (local.get $n)))
    (if (i32.eq (local.get $m) (i32.const 108)) ;; l: loop
      (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $m) (i32.const 103)) ;; g: grow
      (then (loop $grow
              (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
              (br $grow))))
    (if (i32.eq (local.get $m) (i32.const 114)) ;; r: recurse
      (then (return (i64.extend_i32_u (call $down (i32.const 0))))))
    (if (i32.eq (local.get $m) (i32.const 116)) ;; t: trap
      (then unreachable))
    (if (i32.eq (local.get $m) (i32.const 111)) ;; o: out-of-bounds output
      (then (return (i64.const 0xffff000000000064))))
    (if (i32.eq (local.get $m) (i32.const 98)) ;; b: 2 MiB output (grow to hold it first)
      (then
        (if (i32.lt_u (memory.size) (i32.const 33)) (then (drop (memory.grow (i32.sub (i32.const 33) (memory.size))))))
        (return (i64.const 0x0000000000200000))))
    (if (i32.eq (local.get $m) (i32.const 99)) ;; c: chatty, then fine
      (then
        (local.set $m (i32.const 10000))
        (loop $talk
          (call $log (i32.const 1) (i32.const 64) (i32.const 17))
          (local.set $m (i32.sub (local.get $m) (i32.const 1)))
          (br_if $talk (local.get $m)))))
    (if (i32.eq (local.get $m) (i32.const 106)) ;; j: junk
      (then (return (i64.const 0x0000004000000011))))
    (i64.const 0x0000001000000017))
)
