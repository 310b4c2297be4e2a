package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// A sender sends one worker's requests, one at a time. Each client has
// one: netSender (net/http) and fastSender (fasthttp).
type sender interface {
	// send sends the request, reads its response body to the end before
	// deadline, and returns the status code (0 when no answer came). A
	// request that ran out of time fails with an error whose Timeout()
	// is true.
	send(deadline time.Time) (code int, err error)
	// close releases what the sender holds when its worker ends.
	close()
}

// netSender is the net/http client, shared by all the workers.
type netSender struct {
	base   context.Context // the run's context, without its cancellation
	client *http.Client
	tmpl   *http.Request
	body   []byte
}

func newNetSender(base context.Context, tmpl *http.Request, body []byte, dialer *net.Dialer, maxInFlight int) *netSender {
	tr := &http.Transport{
		Proxy:               nil, // never a proxy, whatever the environment says
		DialContext:         dialer.DialContext,
		MaxIdleConns:        maxInFlight,
		MaxIdleConnsPerHost: maxInFlight,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // bodies are read as sent; no transparent gzip
		ForceAttemptHTTP2:   false,
	}
	client := &http.Client{
		Transport: tr,
		// Redirects are never followed: the 3xx is the answer, and an
		// error, since a load scenario should target the final URL.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &netSender{base: base, client: client, tmpl: tmpl, body: body}
}

// reqBody is a request body over the run's shared bytes.
type reqBody struct{ bytes.Reader }

// Close implements io.Closer; there is nothing to release.
func (*reqBody) Close() error { return nil }

// send sends a shallow copy of the template with its own context, whose
// deadline covers the body read, and its own body reader.
func (s *netSender) send(deadline time.Time) (int, error) {
	ctx, cancel := context.WithDeadline(s.base, deadline)
	defer cancel()
	req := s.tmpl.WithContext(ctx)
	if len(s.body) > 0 {
		b := new(reqBody)
		b.Reset(s.body)
		req.Body = b // ContentLength and GetBody come from the template
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		err = fmt.Errorf("reading response body: %w", err)
	}
	return resp.StatusCode, err
}

func (*netSender) close() {}

// fastSenders is what the fasthttp senders of a run share, read-only.
type fastSenders struct {
	// raw is the request as fasthttp writes it: every request of a run
	// is the same, so it is written once, not formatted again per send.
	raw        []byte
	rawErr     error  // why fasthttp could not write it: every send fails with it
	head       bool   // a HEAD request: its response has no body
	closeConn  bool   // the request asks for "Connection: close"
	addr       string // host:port to dial
	dialer     *net.Dialer
	op, url    string // for errors, as net/http words them
	replayable bool   // the method may be sent again after a dead keep-alive connection
}

func newFastSenders(tmpl *http.Request, body []byte, dialer *net.Dialer) *fastSenders {
	f := &fastSenders{dialer: dialer, url: tmpl.URL.String()}
	var r fasthttp.Request
	f.op = tmpl.Method[:1] + strings.ToLower(tmpl.Method[1:])
	port := tmpl.URL.Port()
	if port == "" {
		port = "80"
	}
	f.addr = net.JoinHostPort(tmpl.URL.Hostname(), port)
	switch tmpl.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		f.replayable = true
	}
	r.SetRequestURI(f.url)
	r.Header.SetMethod(tmpl.Method)
	r.Header.SetNoDefaultContentType(true) // no Content-Type unless the target sets one, as net/http
	for k, vs := range tmpl.Header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	if tmpl.Host != "" {
		r.UseHostHeader = true
		r.Header.SetHost(tmpl.Host)
	}
	r.SetBody(body)
	// Parse the URI now: Write then sends the request in origin form
	// (path and query), with the Host header set above if any.
	r.URI()
	var raw bytes.Buffer
	w := bufio.NewWriter(&raw)
	if f.rawErr = r.Write(w); f.rawErr == nil {
		f.rawErr = w.Flush()
	}
	f.raw, f.head, f.closeConn = raw.Bytes(), r.Header.IsHead(), r.ConnectionClose()
	return f
}

// newSender returns a worker's sender, with no connection yet.
func (f *fastSenders) newSender() sender {
	s := &fastSender{fastSenders: f, br: bufio.NewReaderSize(nil, 16<<10)}
	s.resp.SkipBody = f.head
	return s
}

// fastSender is one worker's fasthttp client: it writes the request
// (fasthttp's bytes, written once for the run) in one write and fasthttp
// parses the response (reading its body to the end), over the worker's own
// keep-alive connection, dialed on first use and again after an error or a
// "Connection: close". Redirects are not followed: fasthttp's Request and
// Response do not know of them.
type fastSender struct {
	*fastSenders
	resp   fasthttp.Response
	conn   net.Conn
	br     *bufio.Reader
	reused bool // conn has carried a request
}

// errNothingRead marks a failure before any byte of the answer was read.
var errNothingRead = errors.New("connection closed before any response")

func (s *fastSender) send(deadline time.Time) (int, error) {
	for {
		reused := s.reused
		code, err := s.try(deadline)
		if err == nil {
			return code, nil
		}
		s.close()
		if !time.Now().Before(deadline) {
			err = os.ErrDeadlineExceeded // a timeout, whichever read or write saw it
		} else if reused && s.replayable && errors.Is(err, errNothingRead) {
			// The server closed the idle keep-alive connection:
			// send again on a new one, as net/http does.
			continue
		}
		return 0, &url.Error{Op: s.op, URL: s.url, Err: err}
	}
}

// try sends the request once, on the worker's connection.
func (s *fastSender) try(deadline time.Time) (int, error) {
	if s.rawErr != nil {
		return 0, fmt.Errorf("writing request: %w", s.rawErr)
	}
	if s.conn == nil {
		d := *s.dialer
		d.Deadline = deadline
		c, err := d.Dial("tcp", s.addr)
		if err != nil {
			return 0, err
		}
		s.conn = c
		s.br.Reset(c)
	}
	s.reused = true
	if err := s.conn.SetDeadline(deadline); err != nil {
		return 0, err
	}
	if _, err := s.conn.Write(s.raw); err != nil {
		return 0, fmt.Errorf("%w: writing request: %w", errNothingRead, err)
	}
	if err := s.resp.Read(s.br); err != nil {
		if err == io.EOF {
			err = errNothingRead
		}
		return 0, err
	}
	if s.resp.ConnectionClose() || s.closeConn {
		s.close()
	}
	return s.resp.StatusCode(), nil
}

// close closes the worker's connection, if any.
func (s *fastSender) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn, s.reused = nil, false
	}
}

// checkHeader refuses a header that would not be a valid HTTP/1.1 field:
// a name that is not a token, a value with a control character (CR, LF:
// a header injection).
func checkHeader(k, v string) error {
	if k == "" || strings.IndexFunc(k, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	}) >= 0 {
		return fmt.Errorf("checking load target: header name %q: not a valid HTTP field name", k)
	}
	if strings.IndexFunc(v, func(r rune) bool { return (r < ' ' && r != '\t') || r == 0x7f }) >= 0 {
		return fmt.Errorf("checking load target: header %s: value %q has a control character", k, v)
	}
	return nil
}
