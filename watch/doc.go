// Package watch is perfgate's staging receiver: services push their
// profiles to it with the real pyroscope-go client, unchanged, as they
// would to a Grafana Pyroscope server (ServerAddress is watch's address),
// and it keeps them in the store (package store) for deploy verdicts.
//
// A Receiver handles POST /ingest in these steps:
//
//  1. Method: anything but POST is answered 405.
//  2. Credentials: when Auth is configured, a push without the bearer
//     token or the basic credentials is answered 401.
//  3. Query (ParseIngest): name=app{k=v,...} gives the service and its
//     labels (ParseName); from and until the window the profile covers;
//     a format other than pprof is refused.
//  4. Body: read whole, at most Limits.MaxBodyBytes (413 beyond). A
//     multipart/form-data body carries the pprof in its part "profile"
//     and, optionally, the JSON "sample_type_config"; any other body is a
//     pprof itself.
//  5. Profile: decompressed (at most Limits.MaxProfileBytes, 413 beyond),
//     parsed and checked with github.com/google/pprof/profile; each
//     sample type gets its name, its aggregation and its total.
//  6. Store: the profile, once, with its sample types, in one
//     transaction (store.Store.AddProfile); a new series beyond
//     Limits.MaxSeries is answered 429.
//  7. Answer: 200 with an empty body, only once the transaction has
//     committed, so a push the client saw accepted survives watch being
//     killed. A refusal is a 4xx status, a failure of the store 500, each
//     with a one-line reason as the body, which pyroscope-go logs; nothing
//     a client sends makes the receiver panic.
//
// What is kept of a push, and how:
//
//   - Times. from and until are Unix times; pyroscope-go v1.5 sends
//     nanoseconds, older clients and Pyroscope's HTTP API seconds or
//     milliseconds. The unit is told from the number's size, as the
//     Pyroscope server does (it counts the digits: 13 are milliseconds, 16
//     microseconds, 19 nanoseconds, others seconds); here the bounds are
//     magnitudes (below 1e11 seconds, below 1e14 milliseconds, below 1e17
//     microseconds, else nanoseconds): the same for every time from
//     2001 to 2286, and right where a digit count is not (milliseconds of
//     the 1990s have 12 digits, which Pyroscope reads as seconds). A missing or zero until is the time the push
//     arrived, a missing or zero from is until. An until before from, which
//     pyroscope-go sends when Flush rounds until down to a 10 s boundary,
//     is raised to from: the profile is kept as an instant at from, its
//     window's true beginning, rather than moved before it
//     (Push.UntilBeforeFrom says so).
//   - Labels. Only the labels of name count: the keys of the series are
//     the service and those labels. The labels pyroscope-go adds on its
//     own are dropped, as the Pyroscope server hides them: names that
//     begin with "__" (__session_id__, new at each start of a process),
//     and those under "otel.scope." and "process.runtime." (they differ
//     between a service's CPU and heap pushes). A label with an empty
//     value is no label.
//   - Tenant. X-Scope-OrgID is ignored, as by a Pyroscope server without
//     multi-tenancy: one watch serves one staging, and its store has no
//     tenants.
//   - Profile types. A push is stored once, as the pprof it carried, and
//     each of its sample types is queryable by name (store.Query.Type):
//     the pprof sample type ("samples" and "cpu" for CPU profiles;
//     "alloc_objects", "alloc_space", "inuse_objects", "inuse_space" for
//     heap profiles; "goroutine"), or the display name the client gave it
//     in sample_type_config ("mutex_count", "mutex_duration",
//     "block_count", "block_duration", which tell pyroscope-go's mutex and
//     block profiles apart). Only the sample types of Go's runtime
//     profiles are taken; any other is refused (400). A sample type's
//     aggregation is sample_type_config's, else "average" for what is a
//     level (inuse_*, goroutine) and "sum" for the rest; the query's
//     units and aggregationType describe Pyroscope's older, single-value
//     formats and are not used.
package watch
