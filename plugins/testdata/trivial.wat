;; trivial: the smallest useful ABI v1 reactor. It ignores the envelope and
;; answers a constant request; the ABI round-trip benchmark uses it so the
;; plugin's own work is near zero and the host's overhead shows.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"request\":{\"bypassUser\":true}}") ;; 31 bytes
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
    (i64.const 0x000000100000001f)) ;; ptr 16, len 31
)
