package shop

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/perfgate/perfgate/testdata/shop/internal/shopsvc"
	"github.com/prometheus/client_golang/prometheus"
)

func TestAvailable(t *testing.T) {
	for item := range 1000 {
		if n := Available(item); n < 1 || n > 100 || n != Available(item) {
			t.Fatalf("Available(%d) = %d, want a stable 1..100", item, n)
		}
	}
}

func TestInventoryHandler(t *testing.T) {
	h, err := shopsvc.Handler("inventory", prometheus.NewRegistry(), Inventory{}.Routes()...)
	if err != nil {
		t.Fatal(err)
	}
	runHandlerCases(t, h, []handlerCase{
		{name: "item", method: "GET", target: "/stock?item=7", wantCode: 200,
			wantBody: fmt.Sprintf(`{"item":7,"available":%d}`, Available(7))},
		{name: "item 0", method: "GET", target: "/stock?item=0", wantCode: 200,
			wantBody: fmt.Sprintf(`{"item":0,"available":%d}`, Available(0))},
		{name: "missing item", method: "GET", target: "/stock", wantCode: 400, wantBody: "missing item"},
		{name: "empty item", method: "GET", target: "/stock?item=", wantCode: 400, wantBody: "missing item"},
		{name: "not a number", method: "GET", target: "/stock?item=abc", wantCode: 400, wantBody: `bad item "abc"`},
		{name: "negative", method: "GET", target: "/stock?item=-1", wantCode: 400, wantBody: `bad item "-1"`},
		{name: "too big", method: "GET", target: "/stock?item=99999999999999999999", wantCode: 400, wantBody: "bad item"},
		{name: "POST", method: "POST", target: "/stock?item=1", wantCode: 405, wantBody: "method POST not allowed"},
	})
}

func TestInventoryLatency(t *testing.T) {
	h, err := shopsvc.Handler("inventory", prometheus.NewRegistry(), Inventory{Latency: 30 * time.Millisecond}.Routes()...)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	runHandlerCases(t, h, []handlerCase{{name: "slept", method: "GET", target: "/stock?item=1", wantCode: 200,
		wantBody: fmt.Sprintf(`{"item":1,"available":%d}`, Available(1))}})
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("answered in %v, before its 30ms latency", d)
	}
}

func TestInventoryCheck(t *testing.T) {
	if err := (Inventory{Latency: -time.Second}).Check(); err == nil {
		t.Error("negative latency accepted")
	}
	if err := (Inventory{}).Check(); err != nil {
		t.Error(err)
	}
}

func TestInventoryStockMethod(t *testing.T) {
	// The 405 names the allowed method.
	h, err := shopsvc.Handler("inventory", prometheus.NewRegistry(), Inventory{}.Routes()...)
	if err != nil {
		t.Fatal(err)
	}
	srv := serveHandler(t, h)
	req, _ := http.NewRequest(http.MethodDelete, srv+"/stock?item=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" {
		t.Errorf("DELETE /stock: %d, Allow %q; want 405, Allow GET", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
