package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// ErrTooManySeries is the error of AddProfile for a profile of a new
// series when the store already holds its maximum of series.
var ErrTooManySeries = errors.New("too many series")

// Aggregation is how the values of one sample type combine over time.
type Aggregation string

const (
	// Sum is for what accumulates over a window: CPU time, bytes
	// allocated. The values of two windows add up.
	Sum Aggregation = "sum"
	// Average is for a level at an instant: bytes in use, goroutines. Two
	// windows' values are averaged.
	Average Aggregation = "average"
)

// SampleType is one sample type of a profile.
type SampleType struct {
	// Name is what a Query's Type selects: the pprof sample type ("cpu",
	// "samples", "alloc_space", ...) or the name the client gave it
	// ("mutex_count").
	Name string
	// Unit is the pprof unit of the values: "nanoseconds", "bytes",
	// "count".
	Unit        string
	Aggregation Aggregation
	// Total is the sum of the type's values over the profile's samples.
	Total int64
}

// Series is a service with one set of labels: the profiles of one
// instance, or of several alike.
type Series struct {
	Service string
	// Labels are the series' labels ("version": "v1"); nil when none.
	Labels map[string]string
}

// Profile is one profile as pushed: one window of one series.
type Profile struct {
	// ID identifies a stored profile; AddProfile ignores it.
	ID int64
	Series
	// From and Until are the window the profile covers, From <= Until.
	From, Until time.Time
	// Received is when the profile arrived; AddProfile takes the time of
	// the call when it is zero.
	Received time.Time
	// Data is the pprof, gzipped.
	Data []byte
	// Types are the profile's sample types in pprof order, at least one.
	Types []SampleType
}

// Type returns the sample type of p named name.
func (p Profile) Type(name string) (SampleType, bool) {
	for _, t := range p.Types {
		if t.Name == name {
			return t, true
		}
	}
	return SampleType{}, false
}

// AddProfile stores p, and its series when new, in one transaction. It
// returns once the transaction has committed: a profile AddProfile
// accepted survives the process being killed (see Open). When maxSeries
// is positive and p is of a new series while the store already holds
// maxSeries series, nothing is written and the error is
// ErrTooManySeries.
func (s *Store) AddProfile(ctx context.Context, p Profile, maxSeries int) error {
	if err := p.check(); err != nil {
		return fmt.Errorf("adding a profile of %s: %w", p.Service, err)
	}
	if p.Received.IsZero() {
		p.Received = time.Now()
	}
	if err := s.addProfile(ctx, p, maxSeries); err != nil {
		return fmt.Errorf("adding a profile of %s: %w", p.Service, err)
	}
	return nil
}

func (s *Store) addProfile(ctx context.Context, p Profile, maxSeries int) error {
	key, err := labelsKey(p.Labels)
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var series int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM profile_series WHERE service = ? AND labels = ?`, p.Service, key).Scan(&series)
	if errors.Is(err, sql.ErrNoRows) {
		series, err = addSeries(ctx, tx, p.Series, key, maxSeries)
	}
	if err != nil {
		return err
	}
	from, until := p.From.UnixNano(), p.Until.UnixNano()
	res, err := tx.ExecContext(ctx, `INSERT INTO profiles (series_id, from_ns, until_ns, mid_ns, received_ns, bytes) VALUES (?, ?, ?, ?, ?, ?)`,
		series, from, until, from+(until-from)/2, p.Received.UnixNano(), len(p.Data))
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO profile_data (profile_id, data) VALUES (?, ?)`, id, p.Data); err != nil {
		return err
	}
	for i, t := range p.Types {
		if _, err := tx.ExecContext(ctx, `INSERT INTO profile_types (profile_id, type, position, unit, aggregation, total) VALUES (?, ?, ?, ?, ?, ?)`,
			id, t.Name, i, t.Unit, string(t.Aggregation), t.Total); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// addSeries adds a new series in tx, unless there are maxSeries already.
func addSeries(ctx context.Context, tx *sql.Tx, sr Series, key string, maxSeries int) (int64, error) {
	if maxSeries > 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM profile_series`).Scan(&n); err != nil {
			return 0, err
		}
		if n >= maxSeries {
			return 0, fmt.Errorf("%w: the store holds its maximum of %d", ErrTooManySeries, maxSeries)
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO profile_series (service, labels) VALUES (?, ?)`, sr.Service, key)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	for name, value := range sr.Labels {
		if _, err := tx.ExecContext(ctx, `INSERT INTO profile_series_labels (series_id, name, value) VALUES (?, ?, ?)`, id, name, value); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// check reports what makes p unfit to store.
func (p Profile) check() error {
	switch {
	case p.Service == "":
		return errors.New("no service name")
	case p.From.IsZero() || p.Until.IsZero():
		return errors.New("no time window")
	case p.Until.Before(p.From):
		return fmt.Errorf("window ends (%v) before it begins (%v)", p.Until, p.From)
	case len(p.Data) == 0:
		return errors.New("no profile data")
	case len(p.Types) == 0:
		return errors.New("no sample types")
	}
	for name := range p.Labels {
		if name == "" {
			return errors.New("a label without a name")
		}
	}
	seen := map[string]bool{}
	for _, t := range p.Types {
		switch {
		case t.Name == "":
			return errors.New("a sample type without a name")
		case seen[t.Name]:
			return fmt.Errorf("sample type %q twice", t.Name)
		case t.Aggregation != Sum && t.Aggregation != Average:
			return fmt.Errorf("sample type %q: aggregation %q is neither %q nor %q", t.Name, t.Aggregation, Sum, Average)
		}
		seen[t.Name] = true
	}
	return nil
}

// labelsKey is the series' identity of labels: JSON of the name-value
// pairs, sorted by name.
func labelsKey(labels map[string]string) (string, error) {
	pairs := make([][2]string, 0, len(labels))
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		pairs = append(pairs, [2]string{name, labels[name]})
	}
	b, err := json.Marshal(pairs)
	return string(b), err
}

// parseLabelsKey reads a labelsKey back.
func parseLabelsKey(key string) (map[string]string, error) {
	var pairs [][2]string
	if err := json.Unmarshal([]byte(key), &pairs); err != nil {
		return nil, fmt.Errorf("series labels %q: %w", key, err)
	}
	if len(pairs) == 0 {
		return nil, nil
	}
	labels := make(map[string]string, len(pairs))
	for _, p := range pairs {
		labels[p[0]] = p[1]
	}
	return labels, nil
}

// Query selects profiles.
type Query struct {
	// Service is the service's name; empty selects every service.
	Service string
	// Labels select the series that have every one of them.
	Labels map[string]string
	// Type selects the profiles that have a sample type of this name
	// ("cpu", "alloc_space"); empty selects all.
	Type string
	// From and Until select the profiles whose window's midpoint is in
	// [From, Until): a profile belongs to one instant, so that windows
	// laid end to end share none. A zero time leaves that end open.
	From, Until time.Time
	// Sum makes Merge add the values of every sample type, those of
	// Average aggregation too: the goroutines seen over all the
	// snapshots, say, rather than their mean, which integer values round
	// away when it is below one.
	Sum bool
}

// where is q as an SQL condition on profiles p and profile_series s,
// with its arguments.
func (q Query) where() (string, []any) {
	conds := []string{"1"}
	var args []any
	if q.Service != "" {
		conds = append(conds, "s.service = ?")
		args = append(args, q.Service)
	}
	for _, name := range slices.Sorted(maps.Keys(q.Labels)) {
		conds = append(conds, "s.id IN (SELECT series_id FROM profile_series_labels WHERE name = ? AND value = ?)")
		args = append(args, name, q.Labels[name])
	}
	if q.Type != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM profile_types t WHERE t.profile_id = p.id AND t.type = ?)")
		args = append(args, q.Type)
	}
	if !q.From.IsZero() {
		conds = append(conds, "p.mid_ns >= ?")
		args = append(args, q.From.UnixNano())
	}
	if !q.Until.IsZero() {
		conds = append(conds, "p.mid_ns < ?")
		args = append(args, q.Until.UnixNano())
	}
	return strings.Join(conds, " AND "), args
}

// Profiles returns the profiles q selects, with their data, by their
// midpoint's time (and in the order they were added, at equal times).
func (s *Store) Profiles(ctx context.Context, q Query) ([]Profile, error) {
	ps, err := s.profiles(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("reading profiles of %q: %w", q.Service, err)
	}
	return ps, nil
}

func (s *Store) profiles(ctx context.Context, q Query) ([]Profile, error) {
	where, args := q.where()
	rows, err := s.r.QueryContext(ctx, `
SELECT p.id, s.service, s.labels, p.from_ns, p.until_ns, p.received_ns, d.data,
	(SELECT json_group_array(json_array(t.position, t.type, t.unit, t.aggregation, t.total))
	 FROM profile_types t WHERE t.profile_id = p.id)
FROM profiles p
JOIN profile_series s ON s.id = p.series_id
JOIN profile_data d ON d.profile_id = p.id
WHERE `+where+`
ORDER BY p.mid_ns, p.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []Profile
	for rows.Next() {
		var (
			p                     Profile
			labels, types         string
			from, until, received int64
		)
		if err := rows.Scan(&p.ID, &p.Service, &labels, &from, &until, &received, &p.Data, &types); err != nil {
			return nil, err
		}
		if p.Labels, err = parseLabelsKey(labels); err != nil {
			return nil, err
		}
		p.From, p.Until, p.Received = time.Unix(0, from), time.Unix(0, until), time.Unix(0, received)
		if p.Types, err = parseTypes(types); err != nil {
			return nil, fmt.Errorf("profile %d: %w", p.ID, err)
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// parseTypes reads the sample types of a profile from their JSON rows
// [position, type, unit, aggregation, total].
func parseTypes(text string) ([]SampleType, error) {
	var rows [][5]any
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	if err := d.Decode(&rows); err != nil {
		return nil, fmt.Errorf("sample types %s: %w", text, err)
	}
	types := make([]SampleType, len(rows))
	for _, r := range rows {
		pos, ok1 := r[0].(json.Number)
		name, ok2 := r[1].(string)
		unit, ok3 := r[2].(string)
		agg, ok4 := r[3].(string)
		total, ok5 := r[4].(json.Number)
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
			return nil, fmt.Errorf("sample types %s: bad row %v", text, r)
		}
		i, err1 := pos.Int64()
		n, err2 := total.Int64()
		if errors.Join(err1, err2) != nil || i < 0 || i >= int64(len(types)) {
			return nil, fmt.Errorf("sample types %s: bad row %v", text, r)
		}
		types[i] = SampleType{Name: name, Unit: unit, Aggregation: Aggregation(agg), Total: n}
	}
	return types, nil
}

// Series returns every series that has profiles, by service and labels.
func (s *Store) Series(ctx context.Context) ([]Series, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT service, labels FROM profile_series ORDER BY service, labels`)
	if err != nil {
		return nil, fmt.Errorf("listing series: %w", err)
	}
	defer rows.Close()
	var all []Series
	for rows.Next() {
		var sr Series
		var labels string
		if err := rows.Scan(&sr.Service, &labels); err != nil {
			return nil, fmt.Errorf("listing series: %w", err)
		}
		if sr.Labels, err = parseLabelsKey(labels); err != nil {
			return nil, fmt.Errorf("listing series: %w", err)
		}
		all = append(all, sr)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing series: %w", err)
	}
	return all, nil
}

// LabelValues returns the values that label has in service's series
// (in every service's when service is empty), sorted: the versions of a
// service, say.
func (s *Store) LabelValues(ctx context.Context, service, label string) ([]string, error) {
	q := `SELECT DISTINCT l.value FROM profile_series_labels l JOIN profile_series s ON s.id = l.series_id
		WHERE l.name = ? AND (? = '' OR s.service = ?) ORDER BY l.value`
	rows, err := s.r.QueryContext(ctx, q, label, service, service)
	if err != nil {
		return nil, fmt.Errorf("listing %s's values of %s: %w", service, label, err)
	}
	defer rows.Close()
	var values []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("listing %s's values of %s: %w", service, label, err)
		}
		values = append(values, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing %s's values of %s: %w", service, label, err)
	}
	return values, nil
}

// Span is when one value of a label was seen in a service's profiles:
// the first profile's start to the last one's end.
type Span struct {
	Service string
	// Value is the label's value; "" for the series without the label.
	Value       string
	First, Last time.Time
	// Profiles is how many profiles the span holds.
	Profiles int
}

// Spans returns, for every service and every value of label in its
// series (and "" for its series without label), when the profiles of
// that value were seen: the versions of each service, and since when. They
// are sorted by service, then by First.
func (s *Store) Spans(ctx context.Context, label string) ([]Span, error) {
	q := `SELECT s.service, coalesce(l.value, ''), min(p.from_ns), max(p.until_ns), count(*)
		FROM profiles p JOIN profile_series s ON s.id = p.series_id
		LEFT JOIN profile_series_labels l ON l.series_id = s.id AND l.name = ?
		GROUP BY s.service, coalesce(l.value, '')
		ORDER BY s.service, min(p.from_ns), coalesce(l.value, '')`
	rows, err := s.r.QueryContext(ctx, q, label)
	if err != nil {
		return nil, fmt.Errorf("listing the spans of %s: %w", label, err)
	}
	defer rows.Close()
	var spans []Span
	for rows.Next() {
		var sp Span
		var first, last int64
		if err := rows.Scan(&sp.Service, &sp.Value, &first, &last, &sp.Profiles); err != nil {
			return nil, fmt.Errorf("listing the spans of %s: %w", label, err)
		}
		sp.First, sp.Last = time.Unix(0, first), time.Unix(0, last)
		spans = append(spans, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the spans of %s: %w", label, err)
	}
	return spans, nil
}

// ProfileBytes is the size of the profiles' data in the store, what
// Retention.MaxBytes bounds. The file is larger: indexes, metadata, and
// pages freed by Prune, which SQLite reuses but does not give back.
func (s *Store) ProfileBytes(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce(sum(bytes), 0) FROM profiles`).Scan(&n); err != nil {
		return 0, fmt.Errorf("measuring the profiles: %w", err)
	}
	return n, nil
}

// Retention bounds the profiles a store keeps.
type Retention struct {
	// MaxAge, when positive, removes the profiles whose window ended
	// more than MaxAge ago.
	MaxAge time.Duration
	// MaxBytes, when positive, removes the oldest profiles (those whose
	// window ended first) until ProfileBytes is at most MaxBytes.
	MaxBytes int64
}

// Prune applies r at now, in one transaction, and returns how many
// profiles it removed. A series left without profiles is removed too.
// Only profiles are ever removed: nothing else in the store ages.
func (s *Store) Prune(ctx context.Context, r Retention, now time.Time) (removed int, err error) {
	removed, err = s.prune(ctx, r, now)
	if err != nil {
		return 0, fmt.Errorf("pruning profiles: %w", err)
	}
	return removed, nil
}

func (s *Store) prune(ctx context.Context, r Retention, now time.Time) (int, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	removed := 0
	if r.MaxAge > 0 {
		res, err := tx.ExecContext(ctx, `DELETE FROM profiles WHERE until_ns < ?`, now.Add(-r.MaxAge).UnixNano())
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		removed += int(n)
	}
	if r.MaxBytes > 0 {
		n, err := pruneBytes(ctx, tx, r.MaxBytes)
		if err != nil {
			return 0, err
		}
		removed += n
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM profile_series WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.series_id = profile_series.id)`); err != nil {
		return 0, err
	}
	return removed, tx.Commit()
}

// pruneBytes removes the oldest profiles until the rest hold at most max
// bytes.
func pruneBytes(ctx context.Context, tx *sql.Tx, max int64) (int, error) {
	var total int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(bytes), 0) FROM profiles`).Scan(&total); err != nil {
		return 0, err
	}
	if total <= max {
		return 0, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, bytes FROM profiles ORDER BY until_ns, id`)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for total > max && rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
		total -= n
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM profiles WHERE id = ?`, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// Merge returns the profiles q selects merged into one pprof profile; nil,
// with no error, when q selects none. Sample types of Sum aggregation add
// up; those of Average (bytes in use, goroutines) are averaged over each
// series' profiles, then added up over the series: a service's two
// instances use twice the memory of one, while two windows of one
// instance do not. The profiles must be alike (the same sample types and
// period type): select them by Type.
func (s *Store) Merge(ctx context.Context, q Query) (*profile.Profile, error) {
	ps, err := s.Profiles(ctx, q)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	perSeries := map[string]int{}
	keys := make([]string, len(ps))
	for i, p := range ps {
		if keys[i], err = labelsKey(p.Labels); err != nil {
			return nil, err
		}
		keys[i] = p.Service + keys[i]
		perSeries[keys[i]]++
	}
	parsed := make([]*profile.Profile, len(ps))
	for i, p := range ps {
		pp, err := profile.Parse(bytes.NewReader(p.Data))
		if err != nil {
			return nil, fmt.Errorf("merging profiles of %s: profile %d: %w", q.Service, p.ID, err)
		}
		if len(pp.SampleType) != len(p.Types) {
			return nil, fmt.Errorf("merging profiles of %s: profile %d has %d sample types, the store %d", q.Service, p.ID, len(pp.SampleType), len(p.Types))
		}
		ratios := make([]float64, len(p.Types))
		scale := false
		for j, t := range p.Types {
			ratios[j] = 1
			if t.Aggregation == Average && !q.Sum {
				ratios[j] = 1 / float64(perSeries[keys[i]])
				scale = scale || ratios[j] != 1
			}
		}
		if scale {
			if err := pp.ScaleN(ratios); err != nil {
				return nil, fmt.Errorf("merging profiles of %s: %w", q.Service, err)
			}
		}
		parsed[i] = pp
	}
	merged, err := profile.Merge(parsed)
	if err != nil {
		return nil, fmt.Errorf("merging %d profiles of %s: %w", len(parsed), q.Service, err)
	}
	return merged, nil
}
