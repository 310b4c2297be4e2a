package pyroscope

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/pprof/profile"
)

// SelectMergeProfile answers with a google.v1.Profile, Pyroscope's copy of
// pprof's profile.proto, in protojson: lowerCamel field names, int64 and
// uint64 as JSON strings, zero fields left out. Names are indexes into
// stringTable, whose first entry must be "". Samples, locations and lines
// refer to locations, mappings and functions by id; 0 means "none" for a
// location's mapping only. These are the wire types; convert builds the
// profile.Profile that profile.Parse would have built from the same
// message in binary.

type wireProfile struct {
	SampleType        []wireValueType `json:"sampleType"`
	Sample            []wireSample    `json:"sample"`
	Mapping           []wireMapping   `json:"mapping"`
	Location          []wireLocation  `json:"location"`
	Function          []wireFunction  `json:"function"`
	StringTable       []string        `json:"stringTable"`
	DropFrames        int64JSON       `json:"dropFrames"`
	KeepFrames        int64JSON       `json:"keepFrames"`
	TimeNanos         int64JSON       `json:"timeNanos"`
	DurationNanos     int64JSON       `json:"durationNanos"`
	PeriodType        *wireValueType  `json:"periodType"`
	Period            int64JSON       `json:"period"`
	Comment           []int64JSON     `json:"comment"`
	DefaultSampleType int64JSON       `json:"defaultSampleType"`
}

type wireValueType struct {
	Type int64JSON `json:"type"`
	Unit int64JSON `json:"unit"`
}

type wireSample struct {
	LocationID []uint64JSON `json:"locationId"`
	Value      []int64JSON  `json:"value"`
	Label      []wireLabel  `json:"label"`
}

type wireLabel struct {
	Key     int64JSON `json:"key"`
	Str     int64JSON `json:"str"`
	Num     int64JSON `json:"num"`
	NumUnit int64JSON `json:"numUnit"`
}

type wireMapping struct {
	ID              uint64JSON `json:"id"`
	MemoryStart     uint64JSON `json:"memoryStart"`
	MemoryLimit     uint64JSON `json:"memoryLimit"`
	FileOffset      uint64JSON `json:"fileOffset"`
	Filename        int64JSON  `json:"filename"`
	BuildID         int64JSON  `json:"buildId"`
	HasFunctions    bool       `json:"hasFunctions"`
	HasFilenames    bool       `json:"hasFilenames"`
	HasLineNumbers  bool       `json:"hasLineNumbers"`
	HasInlineFrames bool       `json:"hasInlineFrames"`
}

type wireLocation struct {
	ID        uint64JSON `json:"id"`
	MappingID uint64JSON `json:"mappingId"`
	Address   uint64JSON `json:"address"`
	Line      []wireLine `json:"line"`
	IsFolded  bool       `json:"isFolded"`
}

type wireLine struct {
	FunctionID uint64JSON `json:"functionId"`
	Line       int64JSON  `json:"line"`
}

type wireFunction struct {
	ID         uint64JSON `json:"id"`
	Name       int64JSON  `json:"name"`
	SystemName int64JSON  `json:"systemName"`
	Filename   int64JSON  `json:"filename"`
	StartLine  int64JSON  `json:"startLine"`
}

// decodeProfile decodes the JSON of a google.v1.Profile into a valid
// profile.
func decodeProfile(b []byte) (*profile.Profile, error) {
	var w wireProfile
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	return w.convert()
}

// stringTable resolves string indexes, remembering the first bad one.
type stringTable struct {
	strings []string
	err     error
}

// get returns string i, for the field what ("function name").
func (t *stringTable) get(i int64JSON, what string) string {
	if i == 0 && len(t.strings) == 0 {
		// An empty profile may come without a string table at all.
		return ""
	}
	if i < 0 || int64(i) >= int64(len(t.strings)) {
		if t.err == nil {
			t.err = fmt.Errorf("%s: string index %d is not in the string table of %d", what, i, len(t.strings))
		}
		return ""
	}
	return t.strings[i]
}

// convert builds the profile, checking every reference, and runs
// Profile.CheckValid on it.
func (w *wireProfile) convert() (*profile.Profile, error) {
	st := &stringTable{strings: w.StringTable}
	if len(st.strings) > 0 && st.strings[0] != "" {
		return nil, fmt.Errorf("profile string table starts with %q, not \"\"", st.strings[0])
	}
	p := &profile.Profile{
		TimeNanos:     int64(w.TimeNanos),
		DurationNanos: int64(w.DurationNanos),
		Period:        int64(w.Period),
	}

	mappings := make(map[uint64]*profile.Mapping, len(w.Mapping))
	for _, wm := range w.Mapping {
		id := uint64(wm.ID)
		if id == 0 || mappings[id] != nil {
			return nil, fmt.Errorf("profile mapping id %d is 0 or repeated", id)
		}
		m := &profile.Mapping{
			ID:              id,
			Start:           uint64(wm.MemoryStart),
			Limit:           uint64(wm.MemoryLimit),
			Offset:          uint64(wm.FileOffset),
			File:            st.get(wm.Filename, "mapping filename"),
			BuildID:         st.get(wm.BuildID, "mapping build id"),
			HasFunctions:    wm.HasFunctions,
			HasFilenames:    wm.HasFilenames,
			HasLineNumbers:  wm.HasLineNumbers,
			HasInlineFrames: wm.HasInlineFrames,
		}
		// As profile.Parse does: a kernel mapping named
		// "[kernel.kallsyms]_text" keeps its relocation symbol.
		const kernel = "[kernel.kallsyms]"
		if strings.HasPrefix(m.File, kernel) {
			m.KernelRelocationSymbol = m.File[len(kernel):]
		}
		mappings[id] = m
		p.Mapping = append(p.Mapping, m)
	}

	functions := make(map[uint64]*profile.Function, len(w.Function))
	for _, wf := range w.Function {
		id := uint64(wf.ID)
		if id == 0 || functions[id] != nil {
			return nil, fmt.Errorf("profile function id %d is 0 or repeated", id)
		}
		f := &profile.Function{
			ID:         id,
			Name:       st.get(wf.Name, "function name"),
			SystemName: st.get(wf.SystemName, "function system name"),
			Filename:   st.get(wf.Filename, "function filename"),
			StartLine:  int64(wf.StartLine),
		}
		functions[id] = f
		p.Function = append(p.Function, f)
	}

	locations := make(map[uint64]*profile.Location, len(w.Location))
	for _, wl := range w.Location {
		id := uint64(wl.ID)
		if id == 0 || locations[id] != nil {
			return nil, fmt.Errorf("profile location id %d is 0 or repeated", id)
		}
		l := &profile.Location{ID: id, Address: uint64(wl.Address), IsFolded: wl.IsFolded}
		if mid := uint64(wl.MappingID); mid != 0 {
			if l.Mapping = mappings[mid]; l.Mapping == nil {
				return nil, fmt.Errorf("profile location %d: no mapping %d", id, mid)
			}
		}
		for _, wln := range wl.Line {
			f := functions[uint64(wln.FunctionID)]
			if f == nil {
				return nil, fmt.Errorf("profile location %d: no function %d", id, uint64(wln.FunctionID))
			}
			l.Line = append(l.Line, profile.Line{Function: f, Line: int64(wln.Line)})
		}
		locations[id] = l
		p.Location = append(p.Location, l)
	}

	for _, vt := range w.SampleType {
		p.SampleType = append(p.SampleType, &profile.ValueType{
			Type: st.get(vt.Type, "sample type"),
			Unit: st.get(vt.Unit, "sample unit"),
		})
	}
	if vt := w.PeriodType; vt != nil {
		p.PeriodType = &profile.ValueType{
			Type: st.get(vt.Type, "period type"),
			Unit: st.get(vt.Unit, "period unit"),
		}
	}

	for i, ws := range w.Sample {
		s := &profile.Sample{Location: make([]*profile.Location, len(ws.LocationID))}
		for j, lid := range ws.LocationID {
			if s.Location[j] = locations[uint64(lid)]; s.Location[j] == nil {
				return nil, fmt.Errorf("profile sample %d: no location %d", i, uint64(lid))
			}
		}
		s.Value = make([]int64, len(ws.Value))
		for j, v := range ws.Value {
			s.Value[j] = int64(v)
		}
		st.labels(s, ws.Label)
		p.Sample = append(p.Sample, s)
	}

	p.DropFrames = st.get(w.DropFrames, "drop frames")
	p.KeepFrames = st.get(w.KeepFrames, "keep frames")
	for _, c := range w.Comment {
		p.Comments = append(p.Comments, st.get(c, "comment"))
	}
	p.DefaultSampleType = st.get(w.DefaultSampleType, "default sample type")
	if st.err != nil {
		return nil, fmt.Errorf("profile %w", st.err)
	}
	if err := p.CheckValid(); err != nil {
		return nil, fmt.Errorf("invalid profile: %w", err)
	}
	return p, nil
}

// labels sets the labels of sample s as profile.Parse does: a label with a
// str is a string label; else one with a num or a unit is a numeric label,
// its unit "" when it has none; else it is left out. Unlike Parse, which
// pads a key's units only up to its last label with a unit, it gives every
// key that has units one per value, as Profile.Write needs (it panics on a
// key with fewer units than values).
func (t *stringTable) labels(s *profile.Sample, labels []wireLabel) {
	for _, l := range labels {
		key := t.get(l.Key, "sample label key")
		switch {
		case l.Str != 0:
			if s.Label == nil {
				s.Label = map[string][]string{}
			}
			s.Label[key] = append(s.Label[key], t.get(l.Str, "sample label value"))
		case l.Num != 0 || l.NumUnit != 0:
			if s.NumLabel == nil {
				s.NumLabel = map[string][]int64{}
			}
			if l.NumUnit != 0 {
				if s.NumUnit == nil {
					s.NumUnit = map[string][]string{}
				}
				units := s.NumUnit[key]
				for len(units) < len(s.NumLabel[key]) {
					units = append(units, "")
				}
				s.NumUnit[key] = append(units, t.get(l.NumUnit, "sample label unit"))
			}
			s.NumLabel[key] = append(s.NumLabel[key], int64(l.Num))
		}
	}
	for key, units := range s.NumUnit {
		for len(units) < len(s.NumLabel[key]) {
			units = append(units, "")
		}
		s.NumUnit[key] = units
	}
}
