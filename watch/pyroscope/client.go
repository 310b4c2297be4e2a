package pyroscope

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// DefaultMaxResponseBytes is the largest answer a Client reads when its
// MaxResponseBytes is 0: 64 MiB of JSON, after any gzip decoding. A
// flame graph is bounded by its maxNodes (16384 nodes are about 1 MiB); a
// merged pprof grows with the distinct stacks of the window (the one in
// testdata, 110 samples of a small program, is 47 KB).
const DefaultMaxResponseBytes int64 = 64 << 20

// maxErrorBytes bounds the body of a failed answer, which is a short
// Connect error, or a proxy's error page.
const maxErrorBytes = 64 << 10

// service is the Connect service the calls go to: a call of method M is a
// POST to BaseURL + "/querier.v1.QuerierService/M".
const service = "querier.v1.QuerierService"

// Client queries one Pyroscope server (or Grafana Cloud Profiles) over its
// Connect API. Its fields are plain configuration, read on every call; a
// Client is safe for concurrent use as long as they are not changed.
type Client struct {
	// BaseURL is the server's address, with any path prefix a proxy puts
	// in front of the API: "http://127.0.0.1:4040",
	// "https://profiles-prod-001.grafana.net".
	BaseURL string
	// HTTPClient sends the requests; nil means http.DefaultClient. Calls
	// are bounded by their context, so it needs no Timeout.
	HTTPClient *http.Client
	// BasicAuthUser and BasicAuthPassword, when BasicAuthUser is set, go
	// in an "Authorization: Basic" header (for Grafana Cloud, the stack's
	// user ID and an access token).
	BasicAuthUser, BasicAuthPassword string
	// BearerToken, when set, goes in an "Authorization: Bearer" header.
	// Setting it and basic auth both is an error.
	BearerToken string
	// TenantID, when set, goes in the X-Scope-OrgID header, which a
	// multi-tenant Pyroscope requires and a single-tenant one ignores.
	TenantID string
	// MaxResponseBytes bounds the body of an answer; 0 means
	// DefaultMaxResponseBytes. A larger answer is an error, never a
	// truncated result.
	MaxResponseBytes int64
}

// ProfileType is a kind of profile the server holds, as ProfileTypes lists
// it. ID is what the Select calls take as profileTypeID:
// "<name>:<sampleType>:<sampleUnit>:<periodType>:<periodUnit>", for example
// "process_cpu:cpu:nanoseconds:cpu:nanoseconds".
type ProfileType struct {
	ID         string `json:"ID"`
	Name       string `json:"name"`
	SampleType string `json:"sampleType"`
	SampleUnit string `json:"sampleUnit"`
	PeriodType string `json:"periodType"`
	PeriodUnit string `json:"periodUnit"`
}

// ParseProfileType splits a profile type ID into its parts, as the server
// does: five fields separated by ':', or six when the last is a suffix the
// server ignores (":delta").
func ParseProfileType(id string) (ProfileType, error) {
	parts := strings.Split(id, ":")
	if len(parts) != 5 && len(parts) != 6 {
		return ProfileType{}, fmt.Errorf("parsing profile type %q: want name:sampleType:sampleUnit:periodType:periodUnit", id)
	}
	return ProfileType{
		ID:         id,
		Name:       parts[0],
		SampleType: parts[1],
		SampleUnit: parts[2],
		PeriodType: parts[3],
		PeriodUnit: parts[4],
	}, nil
}

// ProfileTypes returns the profile types that have data between start and
// end. A zero start or end is left out of the request, which makes the
// server look only at its ingesters' recent data.
func (c *Client) ProfileTypes(ctx context.Context, start, end time.Time) ([]ProfileType, error) {
	req := struct {
		Start int64 `json:"start,omitempty"`
		End   int64 `json:"end,omitempty"`
	}{unixMilli(start), unixMilli(end)}
	var resp struct {
		ProfileTypes []ProfileType `json:"profileTypes"`
	}
	if err := c.call(ctx, "ProfileTypes", req, func(b []byte) error { return json.Unmarshal(b, &resp) }); err != nil {
		return nil, err
	}
	return resp.ProfileTypes, nil
}

// LabelValues returns the values label name takes between start and end
// in the series that match all of matchers (label selectors such as
// `{service_name="cart"}`; none matches every series). A label without
// values gives an empty list, not an error.
func (c *Client) LabelValues(ctx context.Context, name string, matchers []string, start, end time.Time) ([]string, error) {
	req := struct {
		Name     string   `json:"name"`
		Matchers []string `json:"matchers,omitempty"`
		Start    int64    `json:"start,omitempty"`
		End      int64    `json:"end,omitempty"`
	}{name, matchers, unixMilli(start), unixMilli(end)}
	var resp struct {
		Names []string `json:"names"`
	}
	if err := c.call(ctx, "LabelValues", req, func(b []byte) error { return json.Unmarshal(b, &resp) }); err != nil {
		return nil, err
	}
	return resp.Names, nil
}

// selectRequest is SelectMergeStacktracesRequest and
// SelectMergeProfileRequest, as far as this package fills them.
type selectRequest struct {
	ProfileTypeID string `json:"profileTypeID"`
	LabelSelector string `json:"labelSelector"`
	Start         int64  `json:"start,omitempty"`
	End           int64  `json:"end,omitempty"`
	MaxNodes      int64  `json:"maxNodes,omitempty"`
}

// SelectMergeStacktraces returns the profiles of type profileTypeID whose
// series match labelSelector (`{service_name="cart",env="staging"}`),
// between start and end, merged into one flame graph. maxNodes caps its
// nodes: the server folds the smallest into nodes named "other"; 0 takes
// the server's default (8192 unless configured), and a negative value asks
// for no cap, which a server with a configured maximum refuses. An empty
// window gives an empty flame graph (Total 0), not an error.
func (c *Client) SelectMergeStacktraces(ctx context.Context, profileTypeID, labelSelector string, start, end time.Time, maxNodes int64) (*FlameGraph, error) {
	req := selectRequest{profileTypeID, labelSelector, unixMilli(start), unixMilli(end), maxNodes}
	var g *FlameGraph
	err := c.call(ctx, "SelectMergeStacktraces", req, func(b []byte) error {
		var err error
		g, err = decodeFlameGraph(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// SelectMergeProfile returns the profiles of type profileTypeID whose
// series match labelSelector, between start and end, merged into one pprof
// profile, with its mappings, locations, file names and line numbers as
// ingested. The profile is valid (Profile.CheckValid). Pyroscope gives it
// one sample type, the one asked for, except for a window without data:
// then it may answer with an empty message, {}, which is a profile
// without samples and without sample types, not an error. The server
// does not cap the nodes of this call unless configured to.
func (c *Client) SelectMergeProfile(ctx context.Context, profileTypeID, labelSelector string, start, end time.Time) (*profile.Profile, error) {
	req := selectRequest{profileTypeID, labelSelector, unixMilli(start), unixMilli(end), 0}
	var p *profile.Profile
	err := c.call(ctx, "SelectMergeProfile", req, func(b []byte) error {
		var err error
		p, err = decodeProfile(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// unixMilli is t in the requests' Unix milliseconds, 0 (left out) for the
// zero time.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// call makes one unary Connect call of method with the JSON of in, and
// hands the body of a successful answer to decode. Every error it returns
// starts with "pyroscope: <method>: ".
func (c *Client) call(ctx context.Context, method string, in any, decode func([]byte) error) error {
	body, err := c.post(ctx, method, in)
	if err != nil {
		return err
	}
	if err := decode(body); err != nil {
		return fmt.Errorf("pyroscope: %s: decoding response: %w", method, err)
	}
	return nil
}

// post sends the request and returns the body of a 200 answer. A non-200
// answer is an *Error.
func (c *Client) post(ctx context.Context, method string, in any) ([]byte, error) {
	endpoint, err := c.endpoint(method)
	if err != nil {
		return nil, fmt.Errorf("pyroscope: %s: %w", method, err)
	}
	reqBody, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("pyroscope: %s: encoding request: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(reqBody))
	if err != nil {
		return nil, fmt.Errorf("pyroscope: %s: %w", method, err)
	}
	if err := c.setHeaders(ctx, req); err != nil {
		return nil, fmt.Errorf("pyroscope: %s: %w", method, err)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("pyroscope: %s: %w", method, err)
	}
	defer resp.Body.Close()
	limit := c.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	if resp.StatusCode != http.StatusOK {
		return nil, readError(method, resp, min(limit, maxErrorBytes))
	}
	if mt := mediaType(resp.Header); mt != "application/json" {
		return nil, fmt.Errorf("pyroscope: %s: answer's Content-Type is %q, not application/json", method, resp.Header.Get("Content-Type"))
	}
	body, err := readAtMost(resp.Body, limit)
	if err != nil {
		return nil, fmt.Errorf("pyroscope: %s: reading response: %w", method, err)
	}
	return body, nil
}

// endpoint is the URL of method.
func (c *Client) endpoint(method string) (string, error) {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("base URL %q: want http://host[:port][/prefix] or https://...", c.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("base URL %q: has a query or fragment", c.BaseURL)
	}
	return u.JoinPath(service, method).String(), nil
}

// setHeaders sets the Connect headers (the protocol version, and the
// time left of ctx so that the server can give up when the caller has),
// the credentials and the tenant.
func (c *Client) setHeaders(ctx context.Context, req *http.Request) error {
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Connect-Protocol-Version", "1")
	if deadline, ok := ctx.Deadline(); ok {
		// At most 10 digits, says the protocol; a deadline that has
		// passed is left to the HTTP client, which fails at once.
		if ms := time.Until(deadline).Milliseconds(); ms > 0 && ms < 1e10 {
			req.Header.Set("Connect-Timeout-Ms", strconv.FormatInt(ms, 10))
		}
	}
	switch {
	case c.BearerToken != "" && (c.BasicAuthUser != "" || c.BasicAuthPassword != ""):
		return errors.New("both basic auth and a bearer token are set")
	case c.BasicAuthPassword != "" && c.BasicAuthUser == "":
		return errors.New("basic auth password set without a user")
	case c.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+c.BearerToken)
	case c.BasicAuthUser != "":
		req.SetBasicAuth(c.BasicAuthUser, c.BasicAuthPassword)
	}
	if c.TenantID != "" {
		req.Header.Set("X-Scope-OrgID", c.TenantID)
	}
	return nil
}

// mediaType is the media type of the Content-Type header, lower case,
// without parameters; "" when there is none or it does not parse.
func mediaType(h http.Header) string {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// readAtMost reads r to its end, failing when it holds more than limit
// bytes rather than returning a prefix.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, min(limit, math.MaxInt64-1)+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("answer is larger than %d bytes", limit)
	}
	return b, nil
}
