;; hog: a benign reactor that takes all the host memory its limits allow
;; (BenchmarkInstanceMemory). shape grows its memory one page at a time until
;; growth fails, writes a byte to every 4 KiB of it (every page the host's
;; system maps), then recurses as deep as the
;; envelope is long through $wide, whose frames are the largest for their size
;; that wazero's compiler was seen to make (16 locals changed in 16 branches,
;; all live across the call: about 0.7 bytes of frame per byte of code), and
;; answers {"request":{}}.
;; $wide's body is regular; it was written out by a short script.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"request\":{}}") ;; 14 bytes
  (func (export "agentshape_abi_v1"))
  ;; alloc: the envelope always goes to 1024 (there is room once shape grew memory).
  (func (export "alloc") (param $size i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (i32.const 1024) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.sub (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1)) (memory.size)))
                        (i32.const -1))
              (then unreachable))))
    (i32.const 1024))
  (func $wide (param $n i64) (result i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (if (i64.eqz (local.get $n)) (then (return (i64.const 0))))
    (local.set 1 (i64.add (local.get $n) (i64.const 0)))
    (local.set 2 (i64.add (local.get $n) (i64.const 1)))
    (local.set 3 (i64.add (local.get $n) (i64.const 2)))
    (local.set 4 (i64.add (local.get $n) (i64.const 3)))
    (local.set 5 (i64.add (local.get $n) (i64.const 4)))
    (local.set 6 (i64.add (local.get $n) (i64.const 5)))
    (local.set 7 (i64.add (local.get $n) (i64.const 6)))
    (local.set 8 (i64.add (local.get $n) (i64.const 7)))
    (local.set 9 (i64.add (local.get $n) (i64.const 8)))
    (local.set 10 (i64.add (local.get $n) (i64.const 9)))
    (local.set 11 (i64.add (local.get $n) (i64.const 10)))
    (local.set 12 (i64.add (local.get $n) (i64.const 11)))
    (local.set 13 (i64.add (local.get $n) (i64.const 12)))
    (local.set 14 (i64.add (local.get $n) (i64.const 13)))
    (local.set 15 (i64.add (local.get $n) (i64.const 14)))
    (local.set 16 (i64.add (local.get $n) (i64.const 15)))
    (if (i64.gt_u (local.get $n) (i64.const 0)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 1)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 2)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 3)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 4)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 5)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 6)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 7)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 8)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 9)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 10)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 11)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 12)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 13)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 14)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (if (i64.gt_u (local.get $n) (i64.const 15)) (then
      (local.set 1 (i64.add (local.get 2) (i64.const 1))) (local.set 2 (i64.add (local.get 3) (i64.const 1))) (local.set 3 (i64.add (local.get 4) (i64.const 1))) (local.set 4 (i64.add (local.get 5) (i64.const 1)))
      (local.set 5 (i64.add (local.get 6) (i64.const 1))) (local.set 6 (i64.add (local.get 7) (i64.const 1))) (local.set 7 (i64.add (local.get 8) (i64.const 1))) (local.set 8 (i64.add (local.get 9) (i64.const 1)))
      (local.set 9 (i64.add (local.get 10) (i64.const 1))) (local.set 10 (i64.add (local.get 11) (i64.const 1))) (local.set 11 (i64.add (local.get 12) (i64.const 1))) (local.set 12 (i64.add (local.get 13) (i64.const 1)))
      (local.set 13 (i64.add (local.get 14) (i64.const 1))) (local.set 14 (i64.add (local.get 15) (i64.const 1))) (local.set 15 (i64.add (local.get 16) (i64.const 1))) (local.set 16 (i64.add (local.get 1) (i64.const 1)))
    ))
    (call $wide (i64.sub (local.get $n) (i64.const 1)))
    local.get 1 i64.add local.get 2 i64.add local.get 3 i64.add local.get 4 i64.add
    local.get 5 i64.add local.get 6 i64.add local.get 7 i64.add local.get 8 i64.add
    local.get 9 i64.add local.get 10 i64.add local.get 11 i64.add local.get 12 i64.add
    local.get 13 i64.add local.get 14 i64.add local.get 15 i64.add local.get 16 i64.add
  )
  (func (export "shape") (param $ptr i32) (param $len i32) (result i64)
    (local $p i32)
    (block $full
      (loop $grow
        (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $grow)))
    (loop $touch
      (i32.store8 (local.get $p) (i32.const 1))
      (local.set $p (i32.add (local.get $p) (i32.const 4096)))
      (br_if $touch (i32.lt_u (local.get $p) (i32.mul (memory.size) (i32.const 65536)))))
    (drop (call $wide (i64.extend_i32_u (local.get $len))))
    (i64.const 0x000000100000000e)) ;; ptr 16, len 14
)
