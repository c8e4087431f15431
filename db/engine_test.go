package db

import "testing"

func TestRebindNumbersPlaceholdersAsSQLiteDoes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`a = ?1 OR b = ?1 LIMIT ?2 OFFSET ?3`, `a = $1 OR b = $1 LIMIT $2 OFFSET $3`},
		{`a = ?2, b = ?`, `a = $2, b = $3`},
		{`x = '?' AND y = ? -- what?` + "\n" + `AND z = "q?"`, `x = '?' AND y = $1 -- what?` + "\n" + `AND z = "q?"`},
		{`e LIKE ?1 ESCAPE '\' OR n LIKE ?1 ESCAPE '\'`, `e LIKE $1 ESCAPE '\' OR n LIKE $1 ESCAPE '\'`},
		{`s = 'it''s ?' AND t = ?`, `s = 'it''s ?' AND t = $1`},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
