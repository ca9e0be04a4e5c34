# The lecture's computation graph example,
# f(x1, x2) = ln(x1) + x1 * x2 - sin(x2),
# written as a program with a function of its own.
x1 = input(2.0)
x2 = input(5.0)

def f(a, b):
    return log(a) + a * b - sin(b)

f(x1, x2)
