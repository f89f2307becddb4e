;; hostile: writes 16 MiB to stdout 300 times in one call (fd_write), in
;; lines of 1,024 bytes (1,023 'y' and a newline): 4.7 GiB of log lines if
;; nothing caps them. A reactor's stdout goes to the host log; the host logs
;; the first 64 KiB a call writes to each stream and drops the rest unread,
;; saying how much it dropped. Answers {"request":{"ok":true}}.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"request\":{\"ok\":true}}") ;; 23 bytes
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
  (func (export "shape") (param i32 i32) (result i64)
    (local $n i32) (local $at i32)
    ;; 17 MiB: the text is 1 MiB .. 17 MiB.
    (if (i32.lt_u (memory.size) (i32.const 272))
      (then (if (i32.eq (memory.grow (i32.sub (i32.const 272) (memory.size))) (i32.const -1)) (then unreachable))))
    (memory.fill (i32.const 0x100000) (i32.const 121) (i32.const 0x1000000)) ;; 'y'
    (local.set $at (i32.const 0x1003ff))
    (loop $nl
      (i32.store8 (local.get $at) (i32.const 10))
      (local.set $at (i32.add (local.get $at) (i32.const 1024)))
      (br_if $nl (i32.lt_u (local.get $at) (i32.const 0x1100000))))
    ;; one iovec at 512: {0x100000, 16 MiB}
    (i32.store (i32.const 512) (i32.const 0x100000))
    (i32.store (i32.const 516) (i32.const 0x1000000))
    (local.set $n (i32.const 300))
    (loop $flood
      (drop (call $write (i32.const 1) (i32.const 512) (i32.const 1) (i32.const 520)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $flood (local.get $n)))
    (i64.const 0x0000001000000017))
)
