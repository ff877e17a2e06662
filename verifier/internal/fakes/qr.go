package fakes

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// DecodedQR is what a real QR decoder read from a PNG.
type DecodedQR struct {
	Image image.Image // the PNG's image
	Text  string
	Level string // error correction level: L, M, Q or H
}

// DecodeQR reads a PNG QR code with a real decoder (ZXing's Go port),
// given hints (nil for none), or fails the test.
func DecodeQR(t testing.TB, b []byte, hints map[gozxing.DecodeHintType]any) DecodedQR {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		t.Fatalf("the QR code does not decode: %v", err)
	}
	level, _ := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string)
	return DecodedQR{Image: img, Text: res.GetText(), Level: level}
}
