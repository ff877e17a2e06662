package qr_test

import (
	"encoding/xml"
	"image"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"

	"github.com/webotp/webotp/verifier/internal/fakes"
	"github.com/webotp/webotp/verifier/qr"
)

// links are what the verifier encodes: verification links of every
// length a configuration may give, so that several QR versions are drawn.
var links = []string{
	"https://a.co/v#otp=1234",
	"https://www.example.com/verify#otp=123456",
	"http://localhost:8080/demo/#otp=00000000",
	"https://shop.example.co.uk/account/phone/verify?lang=fr&step=2#otp=987654",
	"https://xn--bcher-kva.example/verifizieren#otp=314159",
	"https://www.example.com/" + strings.Repeat("long-path/", 20) + "#otp=271828",
}

func TestPNGDecodesToTheLink(t *testing.T) {
	for _, link := range links {
		t.Run(link[:min(len(link), 60)], func(t *testing.T) {
			c, err := qr.Encode(link)
			if err != nil {
				t.Fatal(err)
			}
			for _, scale := range []int{0, 3, 10} {
				b, err := c.PNG(scale)
				if err != nil {
					t.Fatal(err)
				}
				got := fakes.DecodeQR(t, b, nil)
				if got.Text != link || got.Level != "M" {
					t.Fatalf("scale %d: decoded %q at level %q, want %q at M", scale, got.Text, got.Level, link)
				}
				if scale == 0 {
					scale = qr.DefaultScale
				}
				side := (c.Size() + 2*qr.QuietZone) * scale
				if got.Image.Bounds() != image.Rect(0, 0, side, side) {
					t.Fatalf("scale %d: bounds %v, want %d pixels a side", scale, got.Image.Bounds(), side)
				}
				if q := qr.QuietZone * scale; !blank(got.Image, q) {
					t.Fatalf("scale %d: the quiet zone of %d pixels is not blank", scale, q)
				}
			}
		})
	}
}

// TestEveryVersionDecodes encodes texts from 40 to 900 bytes, which draws
// a symbol of every few versions up to 25 (from version 7 on, symbols carry
// version information blocks). It decodes them as the pure barcodes they
// are: ZXing's photo detector misplaces its sampling grid on some large
// versions that zbarimg reads, so the detector is used above on link-sized
// symbols only.
func TestEveryVersionDecodes(t *testing.T) {
	sizes := map[int]bool{}
	for n := 40; n <= 900; n += 40 {
		text := "https://www.example.com/" + strings.Repeat("p", n-len("https://www.example.com/#otp=123456")) + "#otp=123456"
		c, err := qr.Encode(text)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		sizes[c.Size()] = true
		b, err := c.PNG(2)
		if err != nil {
			t.Fatal(err)
		}
		if got := fakes.DecodeQR(t, b, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}); got.Text != text || got.Level != "M" {
			t.Fatalf("%d bytes (%d modules): decoded %q at %q", n, c.Size(), got.Text, got.Level)
		}
	}
	if len(sizes) < 15 {
		t.Errorf("only %d versions were drawn", len(sizes))
	}
}

// blank reports whether the border of width q around img is all light.
func blank(img image.Image, q int) bool {
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if x >= q && x < r.Max.X-q && y >= q && y < r.Max.Y-q {
				continue
			}
			if g, _, _, _ := img.At(x, y).RGBA(); g < 0x8000 {
				return false
			}
		}
	}
	return true
}

// svgDoc is the part of the SVG the tests read.
type svgDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	ViewBox string   `xml:"viewBox,attr"`
	Width   string   `xml:"width,attr"`
	Rects   []struct {
		Width  string `xml:"width,attr"`
		Height string `xml:"height,attr"`
		Fill   string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		D    string `xml:"d,attr"`
		Fill string `xml:"fill,attr"`
	} `xml:"path"`
}

// pathModules draws the path's subpaths, each "Mx yhWv1h-Wz" (a run of W
// modules), on an n×n grid.
func pathModules(t *testing.T, d string, n int) []bool {
	t.Helper()
	grid := make([]bool, n*n)
	for sub := range strings.SplitSeq(strings.TrimSuffix(d, "z"), "z") {
		var x, y, w, back int
		var v int
		if _, err := fmtSscanf(sub, &x, &y, &w, &v, &back); err != nil {
			t.Fatalf("subpath %q: %v", sub, err)
		}
		if v != 1 || back != w || w < 1 || y < 0 || y >= n || x < 0 || x+w > n {
			t.Fatalf("subpath %q is not a run of modules inside %dx%d", sub, n, n)
		}
		for i := x; i < x+w; i++ {
			if grid[y*n+i] {
				t.Fatalf("subpath %q covers a module twice", sub)
			}
			grid[y*n+i] = true
		}
	}
	return grid
}

// fmtSscanf parses "Mx yhWv1h-W".
func fmtSscanf(s string, x, y, w, v, back *int) (int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == 'M' || r == ' ' || r == 'h' || r == 'v' })
	if len(fields) != 5 || !strings.HasPrefix(s, "M") || !strings.HasPrefix(fields[4], "-") {
		return 0, &strconv.NumError{Func: "parse", Num: s, Err: strconv.ErrSyntax}
	}
	fields[4] = fields[4][1:]
	for i, p := range []*int{x, y, w, v, back} {
		n, err := strconv.Atoi(fields[i])
		if err != nil {
			return i, err
		}
		*p = n
	}
	return 5, nil
}

func TestSVGHasTheModulesOfThePNG(t *testing.T) {
	for _, link := range links {
		t.Run(link[:min(len(link), 60)], func(t *testing.T) {
			c, err := qr.Encode(link)
			if err != nil {
				t.Fatal(err)
			}
			raw := c.SVG()
			var doc svgDoc
			if err := xml.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("the SVG is not XML: %v\n%s", err, raw)
			}
			n := c.Size() + 2*qr.QuietZone
			if want := "0 0 " + strconv.Itoa(n) + " " + strconv.Itoa(n); doc.ViewBox != want {
				t.Errorf("viewBox %q, want %q", doc.ViewBox, want)
			}
			if doc.Width != strconv.Itoa(n*qr.DefaultScale) {
				t.Errorf("width %q, want %d", doc.Width, n*qr.DefaultScale)
			}
			if len(doc.Rects) != 1 || doc.Rects[0].Fill != "#fff" || doc.Rects[0].Width != strconv.Itoa(n) || doc.Rects[0].Height != strconv.Itoa(n) {
				t.Errorf("background %+v, want one white %d-unit square", doc.Rects, n)
			}
			if len(doc.Paths) != 1 || doc.Paths[0].Fill != "#000" {
				t.Fatalf("paths %+v, want one black path", doc.Paths)
			}
			grid := pathModules(t, doc.Paths[0].D, n)

			b, err := c.PNG(5)
			if err != nil {
				t.Fatal(err)
			}
			decoded := fakes.DecodeQR(t, b, nil)
			if decoded.Text != link {
				t.Fatalf("PNG decoded to %q", decoded.Text)
			}
			for y := range n {
				for x := range n {
					g, _, _, _ := decoded.Image.At(x*5+2, y*5+2).RGBA()
					if dark := g < 0x8000; dark != grid[y*n+x] {
						t.Fatalf("module (%d,%d): PNG dark=%v, SVG dark=%v", x, y, dark, grid[y*n+x])
					}
				}
			}
		})
	}
}

func TestEncodeRefusesWhatNoQRCodeHolds(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{"an empty text", ""},
		{"a text longer than a version 40 symbol holds", "https://www.example.com/#otp=1&" + strings.Repeat("x", qr.MaxText)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := qr.Encode(tt.text); err == nil {
				t.Fatalf("Encode = %d modules, want an error", c.Size())
			}
		})
	}
}

func TestPNGRefusesAScaleOutOfRange(t *testing.T) {
	c, err := qr.Encode(links[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, scale := range []int{-1, qr.MaxScale + 1} {
		if _, err := c.PNG(scale); err == nil {
			t.Errorf("PNG(%d) succeeded", scale)
		}
	}
	if _, err := c.PNG(qr.MaxScale); err != nil {
		t.Errorf("PNG(MaxScale) = %v", err)
	}
}

func TestDarkIsLightOutsideTheSymbol(t *testing.T) {
	c, err := qr.Encode(links[1])
	if err != nil {
		t.Fatal(err)
	}
	// The top-left finder pattern's corner is dark; the quiet zone is not.
	if !c.Dark(0, 0) || c.Dark(-1, 0) || c.Dark(0, -1) || c.Dark(c.Size(), 0) || c.Dark(0, c.Size()) {
		t.Error("Dark is wrong at the symbol's edge")
	}
}

func TestEncodeTakesTheLongestTextAVersion40SymbolHolds(t *testing.T) {
	c, err := qr.Encode(strings.Repeat("x", qr.MaxText))
	if err != nil {
		t.Fatal(err)
	}
	if c.Size() != 177 {
		t.Errorf("%d modules, want 177 (version 40)", c.Size())
	}
}
