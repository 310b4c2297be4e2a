package pyroscope

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"
)

// Code is a Connect error code, the category of a failed call.
type Code string

// The Connect error codes, the only ones the protocol allows.
const (
	CodeCanceled           Code = "canceled"
	CodeUnknown            Code = "unknown"
	CodeInvalidArgument    Code = "invalid_argument"
	CodeDeadlineExceeded   Code = "deadline_exceeded"
	CodeNotFound           Code = "not_found"
	CodeAlreadyExists      Code = "already_exists"
	CodePermissionDenied   Code = "permission_denied"
	CodeResourceExhausted  Code = "resource_exhausted"
	CodeFailedPrecondition Code = "failed_precondition"
	CodeAborted            Code = "aborted"
	CodeOutOfRange         Code = "out_of_range"
	CodeUnimplemented      Code = "unimplemented"
	CodeInternal           Code = "internal"
	CodeUnavailable        Code = "unavailable"
	CodeDataLoss           Code = "data_loss"
	CodeUnauthenticated    Code = "unauthenticated"
)

var knownCodes = map[Code]bool{
	CodeCanceled: true, CodeUnknown: true, CodeInvalidArgument: true,
	CodeDeadlineExceeded: true, CodeNotFound: true, CodeAlreadyExists: true,
	CodePermissionDenied: true, CodeResourceExhausted: true,
	CodeFailedPrecondition: true, CodeAborted: true, CodeOutOfRange: true,
	CodeUnimplemented: true, CodeInternal: true, CodeUnavailable: true,
	CodeDataLoss: true, CodeUnauthenticated: true,
}

// Error is a call the server answered with a status other than 200 OK.
// Pyroscope answers with a Connect error, {"code":"invalid_argument",
// "message":"..."}; when the body is something else (a proxy's error
// page, an empty body, an unknown code), Code is inferred from the HTTP
// status as the Connect protocol says (401 unauthenticated, 403
// permission_denied, 404 unimplemented, 429, 502, 503 and 504
// unavailable, 400 internal, any other unknown), and Message is the
// status and the start of the body.
type Error struct {
	// Method is the Connect method called: "SelectMergeStacktraces".
	Method string
	// Code is the error's category.
	Code Code
	// Message is the server's message, as sent; it may be empty.
	Message string
	// HTTPStatus is the status of the answer: 400, 401, 503...
	HTTPStatus int
}

// Error returns the error in one line, "pyroscope: <method>: <code>:
// <message>" ("pyroscope: <method>: <code> (HTTP <status>)" when the
// message is empty), whatever line breaks the server's message holds.
func (e *Error) Error() string {
	s := "pyroscope: " + e.Method + ": " + string(e.Code)
	if e.Message == "" {
		return s + " (HTTP " + strconv.Itoa(e.HTTPStatus) + ")"
	}
	return s + ": " + oneLine(e.Message)
}

// readError reads a failed answer into an *Error.
func readError(method string, resp *http.Response, limit int64) *Error {
	e := &Error{Method: method, HTTPStatus: resp.StatusCode}
	// A body that cannot be read whole is as good as a malformed one:
	// the code is inferred, and the message says what was read.
	b, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	var wire struct {
		Code    Code   `json:"code"`
		Message string `json:"message"`
	}
	if mediaType(resp.Header) == "application/json" && json.Unmarshal(b, &wire) == nil && knownCodes[wire.Code] {
		e.Code, e.Message = wire.Code, wire.Message
		return e
	}
	e.Code = codeOfStatus(resp.StatusCode)
	e.Message = strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
	if s := snippet(b); s != "" {
		e.Message += ": " + s
	}
	return e
}

// codeOfStatus infers a Connect code from an HTTP status, by the table
// "HTTP to Error Code" of the Connect protocol.
func codeOfStatus(status int) Code {
	switch status {
	case http.StatusBadRequest:
		return CodeInternal
	case http.StatusUnauthorized:
		return CodeUnauthenticated
	case http.StatusForbidden:
		return CodePermissionDenied
	case http.StatusNotFound:
		return CodeUnimplemented
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return CodeUnavailable
	}
	return CodeUnknown
}

// maxSnippet is how much of a body that is not a Connect error an Error
// quotes.
const maxSnippet = 200

// snippet is the start of a body in one line: runs of white space and
// control characters become one space, and a body longer than maxSnippet
// bytes is cut there and ends in "...".
func snippet(b []byte) string {
	cut := len(b) > maxSnippet
	if cut {
		b = b[:maxSnippet]
	}
	s := strings.Join(strings.Fields(oneLine(string(b))), " ")
	if cut {
		s += "..."
	}
	return s
}

// oneLine replaces line breaks and other control characters with spaces,
// and bytes that are not UTF-8 with U+FFFD.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
