package shop

import (
	"fmt"
	"net/http"
	"time"

	"github.com/perfgate/perfgate/testdata/shop/internal/shopsvc"
)

// StockReply is the answer of inventory's GET /stock.
type StockReply struct {
	Item      int `json:"item"`
	Available int `json:"available"`
}

// Available returns how many of item are in stock: between 1 and 100,
// derived from the item number alone.
func Available(item int) int {
	// Knuth's multiplicative hash spreads neighbouring items apart.
	return int(uint32(item)*2654435761%100) + 1
}

// Inventory is the inventory service: GET /stock?item=N answers the stock
// level of item N.
type Inventory struct {
	// Latency is slept on every request: a simulated downstream call.
	Latency time.Duration
}

// Check returns an error if inv's settings cannot be served.
func (inv Inventory) Check() error {
	if inv.Latency < 0 {
		return fmt.Errorf("negative latency %v", inv.Latency)
	}
	return nil
}

// Routes returns the service's endpoints.
func (inv Inventory) Routes() []shopsvc.Route {
	return []shopsvc.Route{{Pattern: "/stock", Handler: http.HandlerFunc(inv.stock)}}
}

func (inv Inventory) stock(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	item, err := itemParam(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if err := sleep(r.Context(), inv.Latency); err != nil {
		writeError(w, http.StatusServiceUnavailable, "checking stock: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, StockReply{Item: item, Available: Available(item)})
}
