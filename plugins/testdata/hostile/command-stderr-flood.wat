;; hostile command plugin: writes 1 MiB of 'e' (no newline) to stderr 64
;; times, then {"request":{}} to stdout. A command's stderr goes to the host
;; log like a reactor's; the host cuts the line at 8 KiB, logs at most 64 KiB
;; of what one call writes and says how much it dropped.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 32)
  (data (i32.const 16) "{\"request\":{}}") ;; 14 bytes
  (func (export "_start")
    (local $n i32)
    (memory.fill (i32.const 0x100000) (i32.const 101) (i32.const 0x100000)) ;; 'e'
    ;; iovec at 512: {0x100000, 1 MiB}
    (i32.store (i32.const 512) (i32.const 0x100000))
    (i32.store (i32.const 516) (i32.const 0x100000))
    (local.set $n (i32.const 64))
    (loop $flood
      (drop (call $write (i32.const 2) (i32.const 512) (i32.const 1) (i32.const 520)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $flood (local.get $n)))
    ;; iovec at 528: the output
    (i32.store (i32.const 528) (i32.const 16))
    (i32.store (i32.const 532) (i32.const 14))
    (if (call $write (i32.const 1) (i32.const 528) (i32.const 1) (i32.const 520)) (then unreachable)))
)
