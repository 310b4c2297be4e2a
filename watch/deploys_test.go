package watch

import (
	"fmt"
	"testing"
	"time"

	"github.com/perfgate/perfgate/store"
)

var d0 = time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)

func span(service, version string, first, last time.Duration) store.Span {
	return store.Span{Service: service, Value: version, First: d0.Add(first), Last: d0.Add(last), Profiles: 1}
}

func TestFindDeploys(t *testing.T) {
	w := Windows{Warmup: time.Minute, Window: 5 * time.Minute}
	m := time.Minute
	tests := []struct {
		name  string
		spans []store.Span
		want  []string
	}{
		{"one version: no deploy", []store.Span{span("cart", "v1", 0, 30*m)}, nil},
		{"no version label: no deploy", []store.Span{span("cart", "", 0, 10*m), span("cart", "", 0, 30*m)}, nil},
		{"a deploy", []store.Span{span("cart", "v1", 0, 20*m), span("cart", "v2", 20*m, 40*m)}, []string{
			"20261128T182000Z-v2-cart [cart] v1->v2 base 18:15:00-18:20:00 head 18:21:00-18:26:00",
		}},
		{"services together are one deploy, windows for all", []store.Span{
			span("cart", "v1", 0, 20*m), span("cart", "v2", 20*m, 40*m),
			span("pricing", "v1", 0, 20*m+30*time.Second), span("pricing", "v2", 20*m+30*time.Second, 40*m),
		}, []string{
			"20261128T182000Z-v2-cart+pricing [cart pricing] v1->v2 base 18:15:00-18:20:00 head 18:21:30-18:26:30",
		}},
		{"apart, two deploys", []store.Span{
			span("cart", "v1", 0, 20*m), span("cart", "v2", 20*m, 40*m),
			span("pricing", "v1", 0, 30*m), span("pricing", "v2", 30*m, 40*m),
		}, []string{
			"20261128T182000Z-v2-cart [cart] v1->v2 base 18:15:00-18:20:00 head 18:21:00-18:26:00",
			"20261128T183000Z-v2-pricing [pricing] v1->v2 base 18:25:00-18:30:00 head 18:31:00-18:36:00",
		}},
		{"previous version stopped early: its last window", []store.Span{span("cart", "v1", 0, 10*m), span("cart", "v2", 60*m, 90*m)}, []string{
			"20261128T190000Z-v2-cart [cart] v1->v2 base 18:05:00-18:10:00 head 19:01:00-19:06:00",
		}},
		{"three versions, two deploys", []store.Span{span("cart", "v1", 0, 10*m), span("cart", "v2", 10*m, 20*m), span("cart", "v3", 20*m, 30*m)}, []string{
			"20261128T181000Z-v2-cart [cart] v1->v2 base 18:05:00-18:10:00 head 18:11:00-18:16:00",
			"20261128T182000Z-v3-cart [cart] v2->v3 base 18:15:00-18:20:00 head 18:21:00-18:26:00",
		}},
		{"a version with odd characters", []store.Span{span("cart", "v1", 0, 10*m), span("cart", "feat/x y", 10*m, 20*m)}, []string{
			"20261128T181000Z-feat_x_y-cart [cart] v1->feat/x y base 18:05:00-18:10:00 head 18:11:00-18:16:00",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range FindDeploys(tt.spans, w) {
				got = append(got, fmt.Sprintf("%s %v %s->%s base %s-%s head %s-%s", d.ID, d.Services, d.Previous, d.Version,
					d.Base.From.Format("15:04:05"), d.Base.Until.Format("15:04:05"), d.Head.From.Format("15:04:05"), d.Head.Until.Format("15:04:05")))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestReady(t *testing.T) {
	m := time.Minute
	w := Windows{Warmup: time.Minute, Window: 5 * time.Minute}
	spans := []store.Span{span("cart", "v1", 0, 20*m), span("cart", "v2", 20*m, 26*m)}
	d := FindDeploys(spans, w)[0] // head 18:21 to 18:26
	for _, tt := range []struct {
		name  string
		spans []store.Span
		now   time.Duration
		want  bool
	}{
		{"window not over", spans, 25 * m, false},
		{"over, profiles past its end", spans, 26 * m, true},
		{"over, the last upload not in", []store.Span{span("cart", "v1", 0, 20*m), span("cart", "v2", 20*m, 25*m)}, 27 * m, false},
		{"a window later, judged anyway", []store.Span{span("cart", "v1", 0, 20*m), span("cart", "v2", 20*m, 25*m)}, 31 * m, true},
	} {
		if got := d.Ready(tt.spans, d0.Add(tt.now)); got != tt.want {
			t.Errorf("%s: Ready = %v, want %v", tt.name, got, tt.want)
		}
	}
}
