//go:build !wasip1

package shapekit

import "crypto/rand"

func fillRandom(b []byte) error {
	_, err := rand.Read(b)
	return err
}
