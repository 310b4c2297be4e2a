package shop

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/perfgate/perfgate/testdata/shop/internal/shopsvc"
	"github.com/prometheus/client_golang/prometheus"
)

func serveHandler(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestPrice(t *testing.T) {
	seen := map[int64]int{}
	for item := range 200 {
		c := Price(item, 10)
		if c < 100 || c > 9999 {
			t.Fatalf("Price(%d, 10) = %d, want 100..9999", item, c)
		}
		if again := Price(item, 10); again != c {
			t.Fatalf("Price(%d, 10) = %d then %d", item, c, again)
		}
		seen[c]++
	}
	if len(seen) < 150 {
		t.Errorf("200 items have only %d distinct prices", len(seen))
	}
	if Price(1, 10) == Price(1, 11) && Price(2, 10) == Price(2, 11) {
		t.Errorf("the price does not depend on the rounds of work")
	}
}

func TestPricingHandler(t *testing.T) {
	p := Pricing{Work: 50}
	h, err := shopsvc.Handler("pricing", prometheus.NewRegistry(), p.Routes()...)
	if err != nil {
		t.Fatal(err)
	}
	runHandlerCases(t, h, []handlerCase{
		{name: "item", method: "GET", target: "/price?item=42", wantCode: 200,
			wantBody: fmt.Sprintf(`{"item":42,"cents":%d}`, Price(42, 50))},
		{name: "missing item", method: "GET", target: "/price", wantCode: 400, wantBody: "missing item"},
		{name: "not a number", method: "GET", target: "/price?item=1.5", wantCode: 400, wantBody: `bad item "1.5"`},
		{name: "negative", method: "GET", target: "/price?item=-3", wantCode: 400, wantBody: "bad item"},
		{name: "PUT", method: "PUT", target: "/price?item=1", wantCode: 405, wantBody: "method PUT not allowed"},
	})
}

func TestPricingCheck(t *testing.T) {
	for _, p := range []Pricing{{Work: -1}, {Latency: -time.Millisecond}} {
		if err := p.Check(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if err := (Pricing{Work: DefaultPricingWork, Latency: DefaultLatency}).Check(); err != nil {
		t.Error(err)
	}
}

func BenchmarkPrice(b *testing.B) {
	for b.Loop() {
		Price(7, DefaultPricingWork)
	}
}
