package shop

import (
	"context"
	"sync"
)

// maxCachedPrices bounds the price cache: past it, prices are fetched but not
// kept, so a load over many distinct items cannot grow the cart without end.
const maxCachedPrices = 1 << 16

// priceCache keeps the prices fetched from pricing; prices never change, so
// entries never expire. Concurrent look-ups of one missing item share a single
// fetch.
type priceCache struct {
	mu      sync.Mutex
	entries map[int]*priceEntry
}

// priceEntry is one item's price, ready once its channel is closed.
type priceEntry struct {
	ready chan struct{}
	cents int64
	err   error
}

func newPriceCache() *priceCache {
	return &priceCache{entries: make(map[int]*priceEntry)}
}

// get returns the price of item from the cache, or from fetch on a miss. A
// failed fetch is not kept: the next look-up fetches again.
func (pc *priceCache) get(ctx context.Context, item int, fetch func(context.Context, int) (int64, error)) (int64, error) {
	pc.mu.Lock()
	if e, ok := pc.entries[item]; ok {
		pc.mu.Unlock()
		select {
		case <-e.ready:
			return e.cents, e.err
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	if len(pc.entries) >= maxCachedPrices {
		pc.mu.Unlock()
		return fetch(ctx, item)
	}
	e := &priceEntry{ready: make(chan struct{})}
	pc.entries[item] = e
	pc.mu.Unlock()

	e.cents, e.err = fetch(ctx, item)
	if e.err != nil {
		pc.mu.Lock()
		delete(pc.entries, item)
		pc.mu.Unlock()
	}
	close(e.ready)
	return e.cents, e.err
}
