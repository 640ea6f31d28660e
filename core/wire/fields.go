package wire

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// field is one JSON member of a struct.
type field struct {
	name      string
	index     []int // reflect index path (through embedded structs)
	typ       reflect.Type
	optional  bool // pointer or interface: may be missing or null
	def       bool // `wire:"default"`: may be missing, takes the zero value
	omitEmpty bool // `json:",omitempty"`: skipped on output when empty
}

// structInfo lists a struct's JSON members in declaration order.
type structInfo struct {
	fields []field
	byName map[string]int
	err    error
}

// typeCache holds structInfo per struct type; it is the package's only
// shared state and is safe for concurrent use.
var typeCache sync.Map // reflect.Type -> *structInfo

func cachedStructInfo(t reflect.Type) (*structInfo, error) {
	if v, ok := typeCache.Load(t); ok {
		si := v.(*structInfo)
		return si, si.err
	}
	si := buildStructInfo(t)
	v, _ := typeCache.LoadOrStore(t, si)
	si = v.(*structInfo)
	return si, si.err
}

func buildStructInfo(t reflect.Type) *structInfo {
	si := &structInfo{byName: map[string]int{}}
	si.err = collectFields(si, t, nil, 0)
	return si
}

func collectFields(si *structInfo, t reflect.Type, prefix []int, depth int) error {
	if depth > 16 {
		return fmt.Errorf("%w: %s: embedded structs nested too deeply", ErrUnsupportedType, t)
	}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		index := append(append([]int(nil), prefix...), i)
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Struct {
				if err := collectFields(si, ft, index, depth+1); err != nil {
					return err
				}
				continue
			}
			if ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct {
				return fmt.Errorf("%w: %s: embedded pointer %s is not supported", ErrUnsupportedType, t, ft)
			}
		}
		if !sf.IsExported() {
			continue
		}
		if !hasTag || name == "" {
			name = sf.Name
		}
		if _, dup := si.byName[name]; dup {
			return fmt.Errorf("%w: %s: two fields are named %q", ErrUnsupportedType, t, name)
		}
		k := sf.Type.Kind()
		f := field{
			name:      name,
			index:     index,
			typ:       sf.Type,
			optional:  k == reflect.Pointer || k == reflect.Interface,
			omitEmpty: hasOption(opts, "omitempty"),
		}
		for _, w := range strings.Split(sf.Tag.Get("wire"), ",") {
			switch strings.TrimSpace(w) {
			case "default":
				f.def = true
			case "":
			default:
				return fmt.Errorf("%w: %s.%s: unknown wire tag option %q", ErrUnsupportedType, t, sf.Name, w)
			}
		}
		si.byName[name] = len(si.fields)
		si.fields = append(si.fields, f)
	}
	return nil
}

func hasOption(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}
