package pgtest

import (
	"context"
	"github.com/jackc/pgx/v5"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }
func TestStart(t *testing.T) {
	u := NewDatabase(t)
	c, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	var v string
	c.QueryRow(context.Background(), "select version()").Scan(&v)
	t.Log(v, u)
	c.Close(context.Background())
}
