# Set up and run the box. Every target is idempotent: the second run only checks stamps.
#   make setup   Debian packages, .venv, the package (editable) and the demo media
#   make demo    setup, then run the box on the demo line-up
#   make test    setup, then the whole test suite
#   make lint    ruff, and mypy on the typed packages (stb/player strictly) and the code that uses its ports
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMPS := .setup-stamps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: libVLC and its plug-ins (playback), ffmpeg (demo media, ffprobe in tests),
# iproute2 (network namespaces in tests), fonts-dejavu-core (burnt-in text of the demo channels),
# xvfb + xauth (a virtual display for window tests).
DEB_PACKAGES := libvlc5 vlc-plugin-base vlc-plugin-video-output ffmpeg iproute2 fonts-dejavu-core xvfb xauth
# Only for the tests and the benches: Debian's chromium, the real browser Playwright drives; libatomic1, which
# Playwright's bundled node driver links (a minbase Debian lacks it); curl, the stock HTTP client the LAN tests
# run inside network namespaces; vlc-bin (cvlc) and mpv, the stock players households run, the judges of
# /stream/live and /hls/live across zaps (tests/relay/test_stock_players.py, `stb bench relay`); x11-utils
# (xwininfo), the X server's own word on the window's size when --fullscreen runs on a bare X (tests/ui/test_window.py);
# xmltv-util (tv_validate_file, with the DTD in /usr/share/xmltv), the judge of the /xmltv.xml export
# (tests/net/test_exports.py).
# tests/test_dependencies.py checks this list is complete.
DEB_TEST_PACKAGES := chromium libatomic1 curl vlc-bin mpv x11-utils xmltv-util hdhomerun-config avahi-daemon avahi-utils dbus-daemon

.PHONY: setup demo test test-fast lint clean sysdeps test-sysdeps debs media vendor-hls

setup: sysdeps $(STAMPS)/install media

sysdeps:
	@$(MAKE) --no-print-directory debs PACKAGES="$(DEB_PACKAGES)"

test-sysdeps:
	@$(MAKE) --no-print-directory debs PACKAGES="$(DEB_TEST_PACKAGES)"

debs:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMPS)/install: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@

media: $(STAMPS)/install
	$(VENV)/bin/stb headend generate

demo: setup
	$(VENV)/bin/stb run

# pytest exits 5 when it collected no test: that is not a failure of the suite's set-up.
test: setup test-sysdeps lint
	$(VENV)/bin/python -m pytest -q; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

test-fast: setup
	$(VENV)/bin/python -m pytest -q -m "not slow"

# mypy: stb/player (strict, see pyproject.toml) and the screens and skin preview that use its ports
# (PlayerPort, ZapperView, the TV core's ZapperPort), and the test fakes of its seams, so no stand-in can
# drift from the real one.
MYPY_PATHS := stb/player stb/pvr stb/tv stb/relay/local.py stb/relay/guard.py stb/relay/shift.py stb/timeshift stb/ui/shiftbar.py stb/assembly.py stb/redirects.py stb/lan/console.py stb/lan/lockouts.py stb/net/tvevents.py stb/net/ports.py stb/net/api stb/net/guide.py stb/net/exports.py stb/net/hdhr.py stb/net/hdhr_udp.py stb/net/ssdp.py stb/net/lantuner.py stb/ui/screen.py stb/ui/openers.py stb/ui/recordings.py stb/ui/look.py stb/ui/app.py stb/ui/live.py stb/ui/tracks.py stb/ui/video.py stb/ui/preview.py stb/ui/previewscene.py tests/player/fakes.py
lint: $(STAMPS)/install
	$(VENV)/bin/ruff check stb tests && $(VENV)/bin/ruff format --check stb tests && $(VENV)/bin/mypy $(MYPY_PATHS)

clean:
	rm -rf $(VENV) $(STAMPS) .pytest_cache .ruff_cache

# hls.js for the web companion, vendored from the npm registry (not fetched at build or run time).
# `make vendor-hls` re-fetches exactly this version; npm checks the registry's integrity hash and
# this target checks the file against the one committed.
HLS_JS_VERSION := 1.7.4
HLS_JS_SHA256 := 482cccb3a224554f64d8c2cf0d335dba4a3819bdb726afbfddfe15de4c277d82
vendor-hls:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent hls.js@$(HLS_JS_VERSION) >/dev/null && tar xzf hls.js-$(HLS_JS_VERSION).tgz && \
	echo "$(HLS_JS_SHA256)  package/dist/hls.light.min.js" | sha256sum -c --quiet && \
	cp package/dist/hls.light.min.js $(CURDIR)/stb/web/static/vendor/ && cp package/LICENSE $(CURDIR)/stb/web/static/vendor/hls.js.LICENSE && \
	rm -rf $$tmp && echo "hls.js $(HLS_JS_VERSION) vendored into stb/web/static/vendor/"
