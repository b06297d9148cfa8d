/**
 * `grid`: derivatives of sampled data on grids (numpy.gradient's semantics), and their async forms.
 * @module
 */
export { gradient, divergence, curl, laplacian, type Field, type FieldOf, type FieldsFor, type GridOptions, type GradientOptions } from "./grid.js";
export { gradientAsync, divergenceAsync, curlAsync, laplacianAsync } from "./grid-async.js";
