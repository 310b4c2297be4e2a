package shop

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/http"
	"time"

	"github.com/perfgate/perfgate/testdata/shop/internal/shopsvc"
)

// PriceReply is the answer of pricing's GET /price.
type PriceReply struct {
	Item  int   `json:"item"`
	Cents int64 `json:"cents"`
}

// Price returns the price of item in cents, between 100 and 9999, after work
// rounds of SHA-256: real CPU work, the same answer for the same item and work.
func Price(item, work int) int64 {
	var sum [sha256.Size]byte
	binary.BigEndian.PutUint64(sum[:8], uint64(item))
	for range work {
		sum = sha256.Sum256(sum[:])
	}
	return 100 + int64(binary.BigEndian.Uint64(sum[:8])%9900)
}

// Pricing is the pricing service: GET /price?item=N answers the price of
// item N.
type Pricing struct {
	// Work is the number of hashing rounds per price.
	Work int
	// Latency is slept on every request: a simulated downstream call.
	Latency time.Duration
}

// Check returns an error if p's settings cannot be served.
func (p Pricing) Check() error {
	if p.Work < 0 {
		return fmt.Errorf("negative work %d", p.Work)
	}
	if p.Latency < 0 {
		return fmt.Errorf("negative latency %v", p.Latency)
	}
	return nil
}

// Routes returns the service's endpoints.
func (p Pricing) Routes() []shopsvc.Route {
	return []shopsvc.Route{{Pattern: "/price", Handler: http.HandlerFunc(p.price)}}
}

func (p Pricing) price(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	item, err := itemParam(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if err := sleep(r.Context(), p.Latency); err != nil {
		writeError(w, http.StatusServiceUnavailable, "pricing: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, PriceReply{Item: item, Cents: Price(item, p.Work)})
}
