"""Render a scorecard HTML report in headless Chromium and check that both chart areas drew
lines. usage: scorecard_render.py REPORT.html SCREENSHOT.png
The page's #charts mode shows only the two charts, 1000x300 px each, 20 px apart, at the top.
Exit 0 when both areas show plotted data, 1 (with the measurements) when one is blank."""
import os
import shutil
import subprocess
import sys

from PIL import Image, ImageStat


def main():
    html, png = os.path.abspath(sys.argv[1]), sys.argv[2]
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        print("chromium not found (Debian: apt-get install chromium; scripts/deps.sh browser)")
        return 1
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--window-size=1000,640", "--screenshot=" + png, "file://" + html + "#charts"]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=90,
                   check=True)
    img = Image.open(png).convert("RGB")
    ok = True
    for name, top in (("latency", 0), ("freshness", 320)):
        box = img.crop((0, top, 1000, top + 300))
        stat = ImageStat.Stat(box.convert("L"))
        # Plotted series are saturated colours; axes, grid and labels are grey.
        coloured = sum(1 for (r, g, b) in box.getdata() if max(r, g, b) - min(r, g, b) > 80)
        print(f"{name}: luminance stddev {stat.stddev[0]:.1f}, coloured pixels {coloured}")
        if stat.stddev[0] < 5 or coloured < 300:
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
