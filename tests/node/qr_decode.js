// Decodes QR codes with the npm `jsqr` reader, an implementation independent of segno.
// stdin: JSON list of {width, height, dark: [0|1 per pixel, row by row]}; stdout: JSON list
// of the decoded texts (null where nothing was found).
"use strict";
const jsQR = require("jsqr");

const jobs = JSON.parse(require("fs").readFileSync(0, "utf8"));
const texts = jobs.map(({ width, height, dark }) => {
  const rgba = new Uint8ClampedArray(width * height * 4);
  dark.forEach((bit, i) => {
    const v = bit ? 0 : 255;
    rgba.set([v, v, v, 255], i * 4);
  });
  const found = jsQR(rgba, width, height);
  return found ? found.data : null;
});
process.stdout.write(JSON.stringify(texts));
