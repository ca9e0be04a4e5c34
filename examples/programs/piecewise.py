# A piecewise function with a kink at x = 1.
# Which branch runs depends on x: change x across 1
# and the recorded graph takes the other path.
x = input(0.5)
if x < 1:
    y = x * x
else:
    y = 2 * x - 1 + sin(x - 1)
y
