;; hostile: draws 16 MiB of randomness 4,000 times in one call (random_get).
;; Each draw is one slow WASI call and the loop runs far fewer than the 4,096
;; iterations between two checks of the stop flag, so only a check inside the
;; host call can stop it; the per-call random budget (1 MiB) stops it first.
;; Answers {"request":{"ok":true}} if it is ever allowed to finish.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
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
    (local $n i32)
    ;; 17 MiB: the buffer is 1 MiB .. 17 MiB.
    (if (i32.lt_u (memory.size) (i32.const 272))
      (then (if (i32.eq (memory.grow (i32.sub (i32.const 272) (memory.size))) (i32.const -1)) (then unreachable))))
    (local.set $n (i32.const 4000))
    (loop $draw
      (drop (call $random (i32.const 0x100000) (i32.const 0x1000000)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $draw (local.get $n)))
    (i64.const 0x0000001000000017))
)
