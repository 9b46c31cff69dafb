"""A row-major matrix with the usual arithmetic."""


class Matrix:
    def __init__(self, rows):
        rows = [list(r) for r in rows]
        if not rows or not rows[0]:
            raise ValueError("a matrix needs at least one row and one column")
        width = len(rows[0])
        for r in rows:
            if len(r) != width:
                raise ValueError("rows differ in length")
        self.rows = rows

    @classmethod
    def identity(cls, n):
        return cls([[1 if i == j else 0 for j in range(n)] for i in range(n)])

    @classmethod
    def zeros(cls, height, width):
        return cls([[0] * width for _ in range(height)])

    @property
    def shape(self):
        return len(self.rows), len(self.rows[0])

    def __repr__(self):
        return f"Matrix({self.rows})"

    def __eq__(self, other):
        return isinstance(other, Matrix) and self.rows == other.rows

    def __getitem__(self, index):
        i, j = index
        return self.rows[i][j]

    def is_square(self):
        height, width = self.shape
        return height == width

    def transpose(self):
        height, width = self.shape
        return Matrix([[self.rows[i][j] for i in range(height)] for j in range(width)])

    def _check_same_shape(self, other):
        if self.shape != other.shape:
            raise ValueError(f"shapes {self.shape} and {other.shape} differ")

    def __add__(self, other):
        self._check_same_shape(other)
        return Matrix([[a + b for a, b in zip(r, s)] for r, s in zip(self.rows, other.rows)])

    def __sub__(self, other):
        self._check_same_shape(other)
        return Matrix([[a - b for a, b in zip(r, s)] for r, s in zip(self.rows, other.rows)])

    def scale(self, factor):
        return Matrix([[factor * a for a in r] for r in self.rows])

    def __matmul__(self, other):
        n, m = self.shape
        m2, p = other.shape
        if m != m2:
            raise ValueError(f"cannot multiply {self.shape} by {other.shape}")
        out = []
        for i in range(n):
            row = []
            for j in range(p):
                total = 0
                for k in range(m):
                    total += self.rows[i][k] * other.rows[k][j]
                row.append(total)
            out.append(row)
        return Matrix(out)

    def power(self, exponent):
        """Matrix to a non-negative integer power, by repeated squaring."""
        if not self.is_square():
            raise ValueError("only square matrices have powers")
        if exponent < 0:
            raise ValueError("negative powers need inverse()")
        result = Matrix.identity(self.shape[0])
        base = self
        while exponent > 0:
            if exponent % 2 == 1:
                result = result @ base
            base = base @ base
            exponent //= 2
        return result

    def trace(self):
        if not self.is_square():
            raise ValueError("trace needs a square matrix")
        return sum(self.rows[i][i] for i in range(self.shape[0]))

    def row_sums(self):
        return [sum(r) for r in self.rows]

    def column(self, j):
        if j < 0 or j >= self.shape[1]:
            raise IndexError(f"no column {j}")
        return [r[j] for r in self.rows]
