;; entropy: a reactor that reports what the host's clock and randomness gave it,
;; to test deterministic mode. It answers
;;   {"request":{"random":"<16 hex digits>","now":"<20-digit wall clock ns>"}}
;; and prints "entropy: called" to stdout (which the host routes to its log).
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; output template at 16: 60 bytes; random hex at 16+22=38, now digits at 16+63-... computed below
  (data (i32.const 16) "{\"request\":{\"random\":\"0000000000000000\",\"now\":\"00000000000000000000\"}}")
  (data (i32.const 128) "entropy: called\n")
  (data (i32.const 160) "0123456789abcdef")
  (func (export "agentshape_abi_v1"))
  (func (export "alloc") (param $size i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (i32.const 1024) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.sub (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1)) (memory.size)))
                        (i32.const -1))
              (then unreachable))))
    (i32.const 1024))
  (func (export "shape") (param i32 i32) (result i64)
    (local $i i32) (local $b i32) (local $t i64)
    ;; 8 random bytes at 192 -> 16 hex digits at 38
    (if (call $random_get (i32.const 192) (i32.const 8)) (then unreachable))
    (loop $hex
      (local.set $b (i32.load8_u (i32.add (i32.const 192) (local.get $i))))
      (i32.store8 (i32.add (i32.const 38) (i32.shl (local.get $i) (i32.const 1)))
                  (i32.load8_u (i32.add (i32.const 160) (i32.shr_u (local.get $b) (i32.const 4)))))
      (i32.store8 (i32.add (i32.const 39) (i32.shl (local.get $i) (i32.const 1)))
                  (i32.load8_u (i32.add (i32.const 160) (i32.and (local.get $b) (i32.const 15)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $hex (i32.lt_u (local.get $i) (i32.const 8))))
    ;; wall clock (id 0) ns at 200 -> 20 decimal digits ending at 83+20
    (if (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 200)) (then unreachable))
    (local.set $t (i64.load (i32.const 200)))
    (local.set $i (i32.const 83))
    (loop $dec
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (local.get $i) (i32.wrap_i64 (i64.add (i64.const 48) (i64.rem_u (local.get $t) (i64.const 10)))))
      (local.set $t (i64.div_u (local.get $t) (i64.const 10)))
      (br_if $dec (i32.gt_u (local.get $i) (i32.const 63))))
    ;; print to stdout: iovec at 256
    (i32.store (i32.const 256) (i32.const 128)) (i32.store (i32.const 260) (i32.const 16))
    (drop (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 264)))
    (i64.const 0x0000001000000046)) ;; 70 bytes at 16
)
