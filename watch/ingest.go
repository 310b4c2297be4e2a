package watch

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/store"
)

// Limits bound what one push may carry, and the store's series. A zero
// field takes its value in DefaultLimits.
type Limits struct {
	// MaxBodyBytes bounds the request body (413 beyond). The recorded
	// pushes of pyroscope-go (testdata) are under 4 KiB; the default
	// leaves room for the profiles of large services.
	MaxBodyBytes int64
	// MaxProfileBytes bounds the pprof once decompressed (413 beyond): a
	// small body may inflate a thousandfold.
	MaxProfileBytes int64
	// MaxLabels bounds the labels of a series, those dropped (see the
	// package documentation) not counted (400 beyond).
	MaxLabels int
	// MaxLabelNameLength and MaxLabelValueLength bound, in bytes, each
	// label's name and value, and the service name (400 beyond).
	MaxLabelNameLength  int
	MaxLabelValueLength int
	// MaxSeries bounds the distinct series (a service and its labels) in
	// the store. A push of a new series beyond it is answered 429, not
	// 400: the push itself is sound, the store is full, and the same push
	// is taken once retention has removed an idle series.
	MaxSeries int
}

// DefaultLimits are the limits of a Receiver whose Limits are zero.
var DefaultLimits = Limits{
	MaxBodyBytes:        16 << 20,
	MaxProfileBytes:     64 << 20,
	MaxLabels:           32,
	MaxLabelNameLength:  128,
	MaxLabelValueLength: 1024,
	MaxSeries:           10000,
}

// withDefaults fills l's zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxProfileBytes <= 0 {
		l.MaxProfileBytes = d.MaxProfileBytes
	}
	if l.MaxLabels <= 0 {
		l.MaxLabels = d.MaxLabels
	}
	if l.MaxLabelNameLength <= 0 {
		l.MaxLabelNameLength = d.MaxLabelNameLength
	}
	if l.MaxLabelValueLength <= 0 {
		l.MaxLabelValueLength = d.MaxLabelValueLength
	}
	if l.MaxSeries <= 0 {
		l.MaxSeries = d.MaxSeries
	}
	return l
}

// ErrTooLarge is the error of ParseIngest for a body, or a profile once
// decompressed, beyond its limit.
var ErrTooLarge = errors.New("too large")

// Push is one push, parsed: the profile to store.
type Push struct {
	// Profile is what the store keeps; Received is left zero.
	store.Profile
	// UntilBeforeFrom reports that the client sent an until before its
	// from, and that Until was raised to From.
	UntilBeforeFrom bool
}

// ParseIngest reads a push of pyroscope-go (or of any client of
// Pyroscope's POST /ingest with a pprof body) from r: its query, then its
// body, whole, up to limits.MaxBodyBytes (zero fields of limits take
// DefaultLimits). Its errors are one line; errors.Is(err, ErrTooLarge)
// tells a push over limits from a bad one.
func ParseIngest(r *http.Request, limits Limits) (Push, error) {
	limits = limits.withDefaults()
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return Push{}, fmt.Errorf("query: %w", err)
	}
	if f := q.Get("format"); f != "" && f != "pprof" {
		return Push{}, fmt.Errorf("format %.32q: perfgate watch takes pprof profiles only", f)
	}
	name, err := ParseName(q.Get("name"))
	if err != nil {
		return Push{}, fmt.Errorf("name: %w", err)
	}
	push := Push{Profile: store.Profile{Series: store.Series{Service: name.Service, Labels: keptLabels(name.Labels)}}}
	if err := checkSeries(push.Series, limits); err != nil {
		return Push{}, fmt.Errorf("name: %w", err)
	}
	push.From, push.Until, push.UntilBeforeFrom, err = window(q.Get("from"), q.Get("until"), time.Now())
	if err != nil {
		return Push{}, err
	}

	body, err := readBody(r, limits.MaxBodyBytes)
	if err != nil {
		return Push{}, err
	}
	raw, config, err := splitBody(r.Header.Get("Content-Type"), body)
	if err != nil {
		return Push{}, err
	}
	p, gz, err := parseProfile(raw, limits.MaxProfileBytes)
	if err != nil {
		return Push{}, fmt.Errorf("profile: %w", err)
	}
	if push.Types, err = sampleTypes(p, config, limits); err != nil {
		return Push{}, fmt.Errorf("profile: %w", err)
	}
	push.Data = gz
	return push, nil
}

// Name is the name of a push: a service and its labels.
type Name struct {
	Service string
	// Labels are all the labels of the name; nil when none.
	Labels map[string]string
}

// ParseName parses a push's name, as pyroscope-go writes it:
// "app{k=v,k2=v2}", or "app" alone. It follows the Pyroscope server's
// parser, stricter where that one lets mistakes through:
//
//   - The service is what precedes the braces, made of letters, digits
//     and "_.-/".
//   - Labels come only inside the braces, as name=value separated by
//     commas, in any order (pyroscope-go sorts them), each name once.
//     Names are made of letters, digits, "_" and ".". A value ends at the
//     next "," or "}" and may hold any other printable character, "." and
//     "-" and "=" included. Spaces around names and values are trimmed; a
//     trailing comma is allowed; a label with an empty value is left out.
//   - There is no escaping inside the name: its query parameter is
//     URL-escaped, and that is all. A value cannot hold "," or "}"
//     (neither can pyroscope-go's, which writes them unescaped).
//   - Nothing may follow the closing brace.
func ParseName(s string) (Name, error) {
	service, rest, braces := strings.Cut(s, "{")
	service = strings.TrimSpace(service)
	if err := checkService(service); err != nil {
		return Name{}, err
	}
	n := Name{Service: service}
	if !braces {
		return n, nil
	}
	inside, after, ok := strings.Cut(rest, "}")
	if !ok {
		return Name{}, fmt.Errorf("%.100q: no closing brace", s)
	}
	if strings.TrimSpace(after) != "" {
		return Name{}, fmt.Errorf("%.100q: text after the closing brace", s)
	}
	pairs := strings.Split(inside, ",")
	for i, pair := range pairs {
		if strings.TrimSpace(pair) == "" && i == len(pairs)-1 {
			continue // "app{}", or a trailing comma
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			return Name{}, fmt.Errorf("%.100q: label %.64q has no value", s, pair)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if err := checkLabel(k, v); err != nil {
			return Name{}, fmt.Errorf("%.100q: %w", s, err)
		}
		if _, dup := n.Labels[k]; dup {
			return Name{}, fmt.Errorf("%.100q: label %.64q twice", s, k)
		}
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		n.Labels[k] = v
	}
	for k, v := range n.Labels {
		if v == "" {
			delete(n.Labels, k)
		}
	}
	if len(n.Labels) == 0 {
		n.Labels = nil
	}
	return n, nil
}

// checkService reports what is wrong with a service name.
func checkService(s string) error {
	if s == "" {
		return errors.New("no service name")
	}
	for _, r := range s {
		if !nameRune(r) && r != '-' && r != '/' {
			return fmt.Errorf("service name %.64q: character %q is not allowed", s, r)
		}
	}
	return nil
}

// checkLabel reports what is wrong with a label.
func checkLabel(k, v string) error {
	if k == "" {
		return fmt.Errorf("a label without a name (value %.64q)", v)
	}
	for _, r := range k {
		if !nameRune(r) {
			return fmt.Errorf("label name %.64q: character %q is not allowed", k, r)
		}
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("label %.64s: value is not UTF-8", k)
	}
	for _, r := range v {
		if !unicode.IsPrint(r) && r != ' ' {
			return fmt.Errorf("label %.64s: value %.64q: character %q is not allowed", k, v, r)
		}
	}
	return nil
}

// nameRune reports whether r may be in a label name: the Pyroscope
// server's set.
func nameRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '.'
}

// keptLabels are the labels of a series: labels without those
// pyroscope-go adds on its own.
func keptLabels(labels map[string]string) map[string]string {
	var kept map[string]string
	for k, v := range labels {
		if strings.HasPrefix(k, "__") || strings.HasPrefix(k, "otel.scope.") || strings.HasPrefix(k, "process.runtime.") {
			continue
		}
		if kept == nil {
			kept = map[string]string{}
		}
		kept[k] = v
	}
	return kept
}

// checkSeries checks a series against limits.
func checkSeries(s store.Series, limits Limits) error {
	if len(s.Service) > limits.MaxLabelValueLength {
		return fmt.Errorf("service name of %d bytes, more than %d", len(s.Service), limits.MaxLabelValueLength)
	}
	if len(s.Labels) > limits.MaxLabels {
		return fmt.Errorf("%d labels, more than %d", len(s.Labels), limits.MaxLabels)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		if len(k) > limits.MaxLabelNameLength {
			return fmt.Errorf("label name %.32q... of %d bytes, more than %d", k, len(k), limits.MaxLabelNameLength)
		}
		if v := s.Labels[k]; len(v) > limits.MaxLabelValueLength {
			return fmt.Errorf("label %s: value of %d bytes, more than %d", k, len(v), limits.MaxLabelValueLength)
		}
	}
	return nil
}

// window reads from and until (see the package documentation) at now.
func window(fromText, untilText string, now time.Time) (from, until time.Time, untilBeforeFrom bool, err error) {
	if until, err = parseTime(untilText); err != nil {
		return from, until, false, fmt.Errorf("until: %w", err)
	}
	if from, err = parseTime(fromText); err != nil {
		return from, until, false, fmt.Errorf("from: %w", err)
	}
	if until.IsZero() {
		until = now
	}
	if from.IsZero() {
		from = until
	}
	if until.Before(from) {
		return from, from, true, nil
	}
	return from, until, false, nil
}

// parseTime reads a Unix time in seconds, milliseconds, microseconds or
// nanoseconds, told apart by size; "" and "0" are the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return time.Time{}, fmt.Errorf("%.40q is not a Unix time", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%.40q is not a Unix time: out of range", s)
	}
	switch {
	case n == 0:
		return time.Time{}, nil
	case n < 1e11:
		return time.Unix(n, 0), nil
	case n < 1e14:
		return time.UnixMilli(n), nil
	case n < 1e17:
		return time.UnixMicro(n), nil
	default:
		return time.Unix(0, n), nil
	}
}

// readBody reads r's body whole, up to max bytes.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, fmt.Errorf("body of %d bytes: %w: the limit is %d", r.ContentLength, ErrTooLarge, max)
	}
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb) || int64(len(b)) > max:
		return nil, fmt.Errorf("body: %w: the limit is %d bytes", ErrTooLarge, max)
	case err != nil:
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	return b, nil
}

// splitBody returns the pprof of a body of contentType, and its
// sample_type_config when it has one.
func splitBody(contentType string, body []byte) (raw []byte, config []byte, err error) {
	media, params, err := mime.ParseMediaType(contentType)
	switch {
	case contentType == "":
		return body, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("content type %.80q: %w", contentType, err)
	case media == "binary/octet-stream+trie" || media == "binary/octet-stream+tree":
		return nil, nil, fmt.Errorf("content type %s: perfgate watch takes pprof profiles only", media)
	case media != "multipart/form-data":
		return body, nil, nil
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, nil, errors.New("multipart body without a boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var sawProfile, sawConfig bool
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("multipart body: %w", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, fmt.Errorf("multipart body: part %.64q: %w", part.FormName(), err)
		}
		switch name := part.FormName(); name {
		case "profile":
			if sawProfile {
				return nil, nil, errors.New("multipart body: two profile parts")
			}
			raw, sawProfile = data, true
		case "sample_type_config":
			if sawConfig {
				return nil, nil, errors.New("multipart body: two sample_type_config parts")
			}
			config, sawConfig = data, true
		case "prev_profile":
			return nil, nil, errors.New("multipart body: part prev_profile: cumulative profiles are not supported")
		}
	}
	if !sawProfile {
		return nil, nil, errors.New("multipart body: no profile part")
	}
	return raw, config, nil
}

// parseProfile decodes a pprof, gzipped or not, of at most max bytes once
// decompressed. gz is the gzipped pprof to store: data itself when it
// came gzipped.
func parseProfile(data []byte, max int64) (p *profile.Profile, gz []byte, err error) {
	raw, gz := data, data
	if isGzip(data) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, nil, fmt.Errorf("decompressing: %w", err)
		}
		if raw, err = io.ReadAll(io.LimitReader(zr, max+1)); err != nil {
			return nil, nil, fmt.Errorf("decompressing: %w", err)
		}
		if int64(len(raw)) > max {
			return nil, nil, fmt.Errorf("decompressed: %w: the limit is %d bytes", ErrTooLarge, max)
		}
		if isGzip(raw) {
			return nil, nil, errors.New("gzip inside gzip")
		}
	} else {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		if _, err := zw.Write(data); err != nil {
			return nil, nil, fmt.Errorf("compressing: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, nil, fmt.Errorf("compressing: %w", err)
		}
		gz = b.Bytes()
	}
	if len(raw) == 0 {
		return nil, nil, errors.New("empty")
	}
	if p, err = parsePprof(raw); err != nil {
		return nil, nil, fmt.Errorf("not a pprof profile: %w", err)
	}
	if err := p.CheckValid(); err != nil {
		return nil, nil, fmt.Errorf("malformed pprof profile: %w", err)
	}
	if len(p.SampleType) == 0 {
		return nil, nil, errors.New("not a pprof profile: no sample types")
	}
	return p, gz, nil
}

// parsePprof parses an uncompressed pprof profile. pprof's decoder is not
// perfgate's: should it panic on hostile bytes, that is a bad profile,
// not a crash of the receiver.
func parsePprof(raw []byte) (p *profile.Profile, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("decoder panic: %v", r)
		}
	}()
	return profile.ParseUncompressed(raw)
}

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// goSampleTypes are the pprof sample types of Go's runtime profiles, the
// ones pyroscope-go sends, with how each combines over time when the push
// does not say.
var goSampleTypes = map[string]store.Aggregation{
	"samples":       store.Sum, // CPU
	"cpu":           store.Sum,
	"alloc_objects": store.Sum, // heap
	"alloc_space":   store.Sum,
	"inuse_objects": store.Average,
	"inuse_space":   store.Average,
	"contentions":   store.Sum, // mutex and block
	"delay":         store.Sum,
	"goroutine":     store.Average,
	"goroutineleak": store.Average,
}

// sampleTypeConfig is one sample type's entry of a push's
// sample_type_config part, as pyroscope-go writes it.
type sampleTypeConfig struct {
	Units       string `json:"units"`
	Aggregation string `json:"aggregation"`
	DisplayName string `json:"display-name"`
	Sampled     bool   `json:"sampled"`
	Cumulative  bool   `json:"cumulative"`
}

// sampleTypes names p's sample types, with config (the JSON of
// sample_type_config, when the push had one), and totals them.
func sampleTypes(p *profile.Profile, config []byte, limits Limits) ([]store.SampleType, error) {
	var cfg map[string]sampleTypeConfig
	if len(bytes.TrimSpace(config)) > 0 {
		if err := json.Unmarshal(config, &cfg); err != nil {
			return nil, fmt.Errorf("sample_type_config: %w", err)
		}
	}
	types := make([]store.SampleType, len(p.SampleType))
	seen := map[string]bool{}
	for i, st := range p.SampleType {
		agg, known := goSampleTypes[st.Type]
		if !known {
			return nil, fmt.Errorf("unknown sample type %.64q: perfgate watch takes Go's profiles (cpu, heap, goroutine, mutex, block)", st.Type)
		}
		name := st.Type
		if c, ok := cfg[st.Type]; ok {
			if c.Cumulative {
				return nil, fmt.Errorf("sample_type_config: %s: cumulative profiles are not supported", st.Type)
			}
			switch store.Aggregation(c.Aggregation) {
			case "":
			case store.Sum, store.Average:
				agg = store.Aggregation(c.Aggregation)
			default:
				return nil, fmt.Errorf("sample_type_config: %s: unknown aggregation %.32q", st.Type, c.Aggregation)
			}
			if c.DisplayName != "" {
				if err := checkTypeName(c.DisplayName, limits); err != nil {
					return nil, fmt.Errorf("sample_type_config: %s: %w", st.Type, err)
				}
				name = c.DisplayName
			}
		}
		if seen[name] {
			return nil, fmt.Errorf("two sample types named %s", name)
		}
		seen[name] = true
		types[i] = store.SampleType{Name: name, Unit: st.Unit, Aggregation: agg}
	}
	for _, s := range p.Sample {
		for i, v := range s.Value {
			types[i].Total += v
		}
	}
	return types, nil
}

// checkTypeName reports what is wrong with a sample type's display name.
func checkTypeName(name string, limits Limits) error {
	if len(name) > limits.MaxLabelNameLength {
		return fmt.Errorf("display name of %d bytes, more than %d", len(name), limits.MaxLabelNameLength)
	}
	for _, r := range name {
		if !nameRune(r) {
			return fmt.Errorf("display name %.64q: character %q is not allowed", name, r)
		}
	}
	return nil
}
