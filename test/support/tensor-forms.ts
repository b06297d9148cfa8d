// The builder body of every tensors.json case, and its string form where the
// grammar has one: shared by the tensor and reverse-mode suites.
import type { BodyResult, Expressions, Node } from "../../bindings/index.js";

export type Body = (x: Readonly<Record<string, Node>>) => BodyResult;

/** The builder body of every fixture case, and its string form where the grammar has one. */
export const FORMS: Record<string, { body: Body; expr?: Expressions }> = {
  matmul_3x3: { body: ({ A, B }) => A.matmul(B), expr: "matmul(A, B)" },
  matmul_2x3_3x2: { body: ({ A, B }) => A.matmul(B), expr: "matmul(A, B)" },
  square_3x3: { body: ({ A }) => A.matmul(A), expr: "matmul(A, A)" },
  transpose_2x3: { body: ({ A }) => A.transpose(), expr: "transpose(A)" },
  inv_3x3: { body: ({ A }) => A.inv(), expr: "inv(A)" },
  det_3x3: { body: ({ A }) => A.det(), expr: "det(A)" },
  trace_matmul_3x3: { body: ({ A, B }) => A.matmul(B).trace(), expr: "trace(matmul(A, B))" },
  gram_3x2: { body: ({ A }) => A.transpose().matmul(A), expr: "matmul(transpose(A), A)" },
  // xᵀ·A·x (numpy's matmul rules: a vector on the left is a row, on the right a column)
  quadratic_form_3: { body: ({ A, x }) => x.matmul(A).matmul(x), expr: "dot(x, matmul(A, x))" },
  matvec_2x3: { body: ({ A, x }) => A.matvec(x), expr: "matmul(A, x)" },
  // M(x) = [[x0·x1, sin x2], [x0², x1 + x2], [exp x0, x2·x0]]: a matrix of a vector
  matrix_of_vector: {
    body: ({ x }) => [[x[0].mul(x[1]), x[2].sin()], [x[0].pow(2), x[1].add(x[2])], [x[0].exp(), x[2].mul(x[0])]],
    expr: [["x[0]*x[1]", "sin(x[2])"], ["x[0]^2", "x[1] + x[2]"], ["exp(x[0])", "x[2]*x[0]"]],
  },
  sin_matmul_2x2: { body: ({ A, B }) => A.sin().matmul(B), expr: "matmul(sin(A), B)" },
  // F(A) = A·Aᵀ + 2·A[:, 0:2] for a 2×3 A: a matrix of a matrix, Jacobian 2×2×2×3
  // (the grammar has no slice: one string per entry, indexing a call's result)
  matrix_of_matrix_2x3: {
    body: ({ A }) => A.matmul(A.transpose()).add(A.slice([0, 0], [2, 2]).mul(2)),
    expr: [0, 1].map((i) => [0, 1].map((j) => `matmul(A, transpose(A))[${i}][${j}] + 2*A[${i}][${j}]`)),
  },
  inv_6x6: { body: ({ A }) => A.inv(), expr: "inv(A)" },
  det_6x6: { body: ({ A }) => A.det(), expr: "det(A)" },
  solve_6x6: { body: ({ A, b }) => A.solve(b), expr: "solve(A, b)" },
  inv_8x8: { body: ({ A }) => A.inv(), expr: "inv(A)" },
  det_8x8: { body: ({ A }) => A.det(), expr: "det(A)" },
  solve_8x8: { body: ({ A, b }) => A.solve(b), expr: "solve(A, b)" },
  inv_hilbert_4x4: { body: ({ A }) => A.inv(), expr: "inv(A)" },
};
