;; hostile: one fd_write of a single 24 MiB line ('z' bytes, no newline) to
;; stderr. Uncapped, it became one 25 MB log record. The host cuts a line at
;; 8 KiB, as it does agentshape.log messages, and says how much it dropped.
;; Answers {"request":{"ok":true}}.
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
    ;; 25 MiB: the line is 1 MiB .. 25 MiB.
    (if (i32.lt_u (memory.size) (i32.const 400))
      (then (if (i32.eq (memory.grow (i32.sub (i32.const 400) (memory.size))) (i32.const -1)) (then unreachable))))
    (memory.fill (i32.const 0x100000) (i32.const 122) (i32.const 0x1800000)) ;; 'z'
    ;; one iovec at 512: {0x100000, 24 MiB}
    (i32.store (i32.const 512) (i32.const 0x100000))
    (i32.store (i32.const 516) (i32.const 0x1800000))
    (drop (call $write (i32.const 2) (i32.const 512) (i32.const 1) (i32.const 520)))
    (i64.const 0x0000001000000017))
)
