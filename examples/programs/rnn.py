# A small recurrent network over 4 steps: h = tanh(W @ h + U @ x[t]).
# The loss is the sum of the last state; backpropagation through
# time runs back through every step of the unrolled loop.
W = input([[0.5, -0.3], [0.2, 0.4]])
U = input([[0.7, -0.1, 0.3], [-0.2, 0.6, 0.1]])
x = input([[1.0, 0.5, -0.5],
           [0.2, -1.0, 0.4],
           [-0.3, 0.8, 0.9],
           [0.6, 0.1, -0.7]])
h = [0.0, 0.0]
for t in range(4):
    h = tanh(W @ h + U @ x[t])
loss = sum(h)
loss
