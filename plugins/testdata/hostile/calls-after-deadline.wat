;; hostile: keeps making host calls after its deadline has passed, fewer of
;; them than the 4,096 loop iterations between two checks of the stop flag.
;; It logs "waiting for the deadline" (tests hold that log call until the
;; call's context is done), then makes 100 calls of one kind, chosen by the
;; plugin config {"mode": ...}: log (agentshape.log), write (fd_write of one
;; line to stderr), random (random_get of 16 bytes), clock (clock_time_get),
;; args (args_sizes_get, standing for every other WASI function). Each host
;; call must check the deadline, so the call ends timed out (or canceled);
;; without the checks it answers {"request":{"ok":true}}.
(module
  (import "agentshape" "log" (func $log (param i32 i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"request\":{\"ok\":true}}") ;; 23 bytes
  (data (i32.const 64) "waiting for the deadline") ;; 24 bytes
  (data (i32.const 96) "still running\n") ;; 14 bytes
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
  (func (export "shape") (param $p i32) (param $len i32) (result i64)
    (local $m i32) (local $n i32)
    (local.set $m (call $modeByte (local.get $p) (local.get $len)))
    ;; one iovec at 512: "still running\n"
    (i32.store (i32.const 512) (i32.const 96))
    (i32.store (i32.const 516) (i32.const 14))
    (call $log (i32.const 1) (i32.const 64) (i32.const 24))
    (local.set $n (i32.const 100))
    (loop $again
      (if (i32.eq (local.get $m) (i32.const 108)) ;; l: log
        (then (call $log (i32.const 1) (i32.const 96) (i32.const 13))))
      (if (i32.eq (local.get $m) (i32.const 119)) ;; w: write
        (then (drop (call $write (i32.const 2) (i32.const 512) (i32.const 1) (i32.const 520)))))
      (if (i32.eq (local.get $m) (i32.const 114)) ;; r: random
        (then (drop (call $random (i32.const 528) (i32.const 16)))))
      (if (i32.eq (local.get $m) (i32.const 99)) ;; c: clock
        (then (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 544)))))
      (if (i32.eq (local.get $m) (i32.const 97)) ;; a: args
        (then (drop (call $args (i32.const 552) (i32.const 556)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (i64.const 0x0000001000000017))
)
