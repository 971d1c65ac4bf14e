// The charting library, served as an ES module from js/vendor/uplot.js (copied from
// node_modules/uplot by scripts/build-renderer.js); its own types describe it.
import uPlot from 'uplot';
export default uPlot;
