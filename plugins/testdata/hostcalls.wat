;; hostcalls: a benign reactor whose every call makes 20 host calls — four
;; rounds of clock_time_get, random_get (16 bytes), fd_write (one short line to
;; stdout), agentshape.log (debug) and args_sizes_get — and answers a constant
;; request. The host-call benchmark uses it to measure what the deadline check
;; in every host call costs a plugin that calls the host often.
(module
  (import "agentshape" "log" (func $log (param i32 i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"request\":{\"bypassUser\":true}}") ;; 31 bytes
  (data (i32.const 64) "tick\n") ;; 5 bytes
  (func (export "agentshape_abi_v1"))
  ;; The envelope always goes to 1024; grow memory when it does not fit.
  (func (export "alloc") (param $size i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (i32.const 1024) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.sub (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1)) (memory.size)))
                        (i32.const -1))
              (then unreachable))))
    (i32.const 1024))
  (func (export "shape") (param i32 i32) (result i64)
    (local $n i32)
    ;; one iovec at 512: "tick\n"
    (i32.store (i32.const 512) (i32.const 64))
    (i32.store (i32.const 516) (i32.const 5))
    (local.set $n (i32.const 4))
    (loop $round
      (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 544)))
      (drop (call $random (i32.const 528) (i32.const 16)))
      (drop (call $write (i32.const 1) (i32.const 512) (i32.const 1) (i32.const 520)))
      (call $log (i32.const 0) (i32.const 64) (i32.const 4))
      (drop (call $args (i32.const 552) (i32.const 556)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $round (local.get $n)))
    (i64.const 0x000000100000001f)) ;; ptr 16, len 31
)
