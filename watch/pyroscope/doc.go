// Package pyroscope reads profiles from Grafana Pyroscope (or Grafana Cloud
// Profiles) through its query API, for teams whose profiles live there
// rather than in a perfgate receiver, so that perfgate's own analysis
// (analyze.Rank, DiffProfiles, Folded) applies to them.
//
// A Client makes unary Connect calls to the QuerierService: a POST of a
// JSON request (Content-Type: application/json) to
// BaseURL + "/querier.v1.QuerierService/<Method>", answered with 200 and
// a JSON message, or with another status and a Connect error,
// {"code":"invalid_argument","message":"..."}. The JSON is protojson,
// the canonical JSON mapping of protobuf: lowerCamel field names
// ("profileTypeID", "labelSelector", "maxNodes"), int64 fields written as
// strings in answers ("19940000000", which requests may send as numbers),
// and fields at their zero value left out (an empty flame graph has no
// "total"). Times in requests are Unix milliseconds. Plain encoding/json
// structs read it; the package needs neither connect-go nor the generated
// protobuf types.
//
// A call goes through these steps:
//
//  1. Encode the request, with zero times left out.
//  2. POST it, with the credentials and tenant of the Client and the time
//     left of the context.
//  3. Read the answer, at most MaxResponseBytes of it. A status other than
//     200 is an *Error, its Code and Message the server's.
//  4. Decode the answer and check it: a flame graph must be a tree whose
//     values add up (FlameGraph), a pprof profile must only refer to
//     strings, functions, locations and mappings it has, and pass
//     profile.CheckValid. A bad answer is an error, never a panic or a
//     partial result.
//
// Every error is one line that starts with "pyroscope: <Method>: ".
package pyroscope
