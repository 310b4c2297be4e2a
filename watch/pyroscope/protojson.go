package pyroscope

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// protojson, the JSON mapping of protobuf that Connect speaks, writes
// int64 and uint64 fields as JSON strings ("19940000000") so that
// JavaScript's doubles do not round them, and leaves out fields that hold
// their zero value. A reader must accept a JSON number too: protojson
// does, and Pyroscope accepts the requests this package sends with
// numbers. Only plain decimal integers are taken, in either form.

// int64JSON is a protojson int64.
type int64JSON int64

// UnmarshalJSON implements json.Unmarshaler.
func (v *int64JSON) UnmarshalJSON(b []byte) error {
	s, err := integerText(b)
	if err != nil || s == "" {
		return err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("int64 %s: %w", b, err)
	}
	*v = int64JSON(n)
	return nil
}

// uint64JSON is a protojson uint64.
type uint64JSON uint64

// UnmarshalJSON implements json.Unmarshaler.
func (v *uint64JSON) UnmarshalJSON(b []byte) error {
	s, err := integerText(b)
	if err != nil || s == "" {
		return err
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("uint64 %s: %w", b, err)
	}
	*v = uint64JSON(n)
	return nil
}

// integerText returns the digits of a JSON string or number holding an
// integer, "" for null (a field left at zero).
func integerText(b []byte) (string, error) {
	if bytes.Equal(b, []byte("null")) {
		return "", nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return "", err
		}
	}
	if !isInteger(s) {
		return "", fmt.Errorf("%s is not an integer", b)
	}
	return s, nil
}

// isInteger says whether s is an optional '-' then decimal digits, and
// nothing else: no '+', no exponent, no fraction.
func isInteger(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
