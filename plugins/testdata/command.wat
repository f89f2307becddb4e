;; command: an ABI v1 *command* plugin (WASI _start). It reads the envelope
;; from stdin and writes {"request":{"command":"ran","envelopeBytes":"<n>"}}
;; to stdout, where <n> is how many bytes it read — proof that the envelope
;; arrived on stdin. It exits 0 by returning from _start.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 256) "{\"request\":{\"command\":\"ran\",\"envelopeBytes\":\"") ;; 45 bytes
  (data (i32.const 320) "\"}}")                                             ;; 3 bytes
  ;; iovec at 0: buf, len; nread at 8; digits at 400..
  (func (export "_start")
    (local $total i32) (local $n i32) (local $d i32) (local $len i32)
    (block $eof
      (loop $read
        ;; read into 1024+total, up to 64 KiB at a time
        (i32.store (i32.const 0) (i32.add (i32.const 1024) (local.get $total)))
        (i32.store (i32.const 4) (i32.const 65536))
        (if (i32.gt_u (i32.add (i32.add (i32.const 1024) (local.get $total)) (i32.const 65536))
                      (i32.mul (memory.size) (i32.const 65536)))
          (then (drop (memory.grow (i32.const 1)))))
        (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)) (then unreachable))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $total (i32.add (local.get $total) (local.get $n)))
        (br $read)))
    ;; decimal digits of total, written backwards ending at 416
    (local.set $d (i32.const 416))
    (local.set $n (local.get $total))
    (loop $digit
      (local.set $d (i32.sub (local.get $d) (i32.const 1)))
      (i32.store8 (local.get $d) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $n)))
    (local.set $len (i32.sub (i32.const 416) (local.get $d)))
    ;; three iovecs at 16: prefix, digits, suffix
    (i32.store (i32.const 16) (i32.const 256)) (i32.store (i32.const 20) (i32.const 45))
    (i32.store (i32.const 24) (local.get $d))   (i32.store (i32.const 28) (local.get $len))
    (i32.store (i32.const 32) (i32.const 320)) (i32.store (i32.const 36) (i32.const 3))
    (if (call $fd_write (i32.const 1) (i32.const 16) (i32.const 3) (i32.const 8)) (then unreachable)))
)
