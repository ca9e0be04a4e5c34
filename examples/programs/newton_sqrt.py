# Newton's method for sqrt(x): y <- (y + x / y) / 2, five times.
# The gradient flows back through all five iterations:
# d(sqrt x)/dx = 1 / (2 sqrt x).
x = input(2.0)
y = x
for i in range(5):
    y = 0.5 * (y + x / y)
y
