package shop

import "time"

// computeLoyaltyDiscount is the injectable slow function of the checkout:
// it burns CPU in a busy arithmetic loop (not a sleep) for about budget, so
// that a CPU profile of the cart names it, and returns the discount on
// subtotal with the time it spent. The shop has no loyalty programme yet:
// the discount is always zero, however long it takes to find out.
//
// Its name is stable: profiles and tests search for it. It is never inlined,
// so that it keeps a frame of its own.
//
//go:noinline
func computeLoyaltyDiscount(budget time.Duration, subtotal int64) (discount int64, spent time.Duration) {
	start := time.Now()
	x := uint64(subtotal) | 1
	for spent < budget {
		for range 1 << 12 {
			// xorshift64: from a non-zero state it never reaches zero.
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		spent = time.Since(start)
	}
	if x == 0 {
		discount = 1 // never: keeps the loop's result alive
	}
	return discount, spent
}
