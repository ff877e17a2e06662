// Package qr renders a verification link as a QR code, in SVG and PNG,
// through github.com/boombuler/barcode: error correction level M (15% of
// the code may be damaged or covered), with the quiet zone of 4 modules
// the QR standard asks for around it.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	bqr "github.com/boombuler/barcode/qr"
)

// QuietZone is the blank margin around the symbol, in modules.
const QuietZone = 4

// DefaultScale is the side of a module in pixels when PNG is asked for 0,
// and the SVG's intrinsic size per module. A link of about 60 characters
// makes a 37-module symbol: 360 pixels with the quiet zone.
const DefaultScale = 8

// MaxScale bounds the side of a module in pixels, and so a PNG's size.
const MaxScale = 32

// MaxText is the longest text Encode takes, in bytes: what a symbol of the
// largest version (40) holds at level M in byte mode.
const MaxText = 2331

// Code is a QR code's modules, without the quiet zone.
type Code struct {
	size int
	dark []bool // row-major, size*size
}

// Encode makes the QR code of text (a URL) at error correction level M.
func Encode(text string) (*Code, error) {
	if text == "" {
		return nil, errors.New("qr: nothing to encode")
	}
	if len(text) > MaxText {
		return nil, fmt.Errorf("qr: %d bytes do not fit in a QR code (at most %d)", len(text), MaxText)
	}
	b, err := bqr.Encode(text, bqr.M, bqr.Auto)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	r := b.Bounds()
	c := &Code{size: r.Dx(), dark: make([]bool, r.Dx()*r.Dy())}
	for y := 0; y < c.size; y++ {
		for x := 0; x < c.size; x++ {
			cr, _, _, _ := b.At(r.Min.X+x, r.Min.Y+y).RGBA()
			c.dark[y*c.size+x] = cr < 0x8000
		}
	}
	return c, nil
}

// Size is the number of modules on a side, without the quiet zone.
func (c *Code) Size() int { return c.size }

// Dark reports whether the module at column x, row y is dark; modules
// outside the symbol (the quiet zone and beyond) are light.
func (c *Code) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= c.size || y >= c.size {
		return false
	}
	return c.dark[y*c.size+x]
}

// SVG renders c as an SVG document: a white square of the symbol and its
// quiet zone, one unit per module (viewBox "0 0 n n"), and one path
// holding the dark modules as horizontal runs. Its intrinsic size is
// DefaultScale pixels per module; CSS may scale it to any size.
func (c *Code) SVG() []byte {
	n := strconv.Itoa(c.size + 2*QuietZone)
	px := strconv.Itoa((c.size + 2*QuietZone) * DefaultScale)
	var b bytes.Buffer
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + n + " " + n + `" width="` + px + `" height="` + px +
		`" shape-rendering="crispEdges"><rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	for y := 0; y < c.size; y++ {
		for x := 0; x < c.size; {
			if !c.Dark(x, y) {
				x++
				continue
			}
			run := 1
			for c.Dark(x+run, y) {
				run++
			}
			w := strconv.Itoa(run)
			b.WriteString("M" + strconv.Itoa(x+QuietZone) + " " + strconv.Itoa(y+QuietZone) + "h" + w + "v1h-" + w + "z")
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes()
}

// PNG renders c as a two-colour PNG with scale pixels per module (0 means
// DefaultScale), quiet zone included.
func (c *Code) PNG(scale int) ([]byte, error) {
	if scale == 0 {
		scale = DefaultScale
	}
	if scale < 1 || scale > MaxScale {
		return nil, fmt.Errorf("qr: scale %d is not between 1 and %d", scale, MaxScale)
	}
	side := (c.size + 2*QuietZone) * scale
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.Gray{Y: 0xff}, color.Gray{Y: 0}})
	for y := 0; y < c.size; y++ {
		for x := 0; x < c.size; x++ {
			if !c.Dark(x, y) {
				continue
			}
			for py := (y + QuietZone) * scale; py < (y+QuietZone+1)*scale; py++ {
				row := img.Pix[py*img.Stride:]
				for px := (x + QuietZone) * scale; px < (x+QuietZone+1)*scale; px++ {
					row[px] = 1
				}
			}
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	return b.Bytes(), nil
}
