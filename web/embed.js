// <shoal-player>: Shoal's player on any web page, in one line:
//   <script src="https://SHOAL/embed.js"></script>
//   <shoal-player src="magnet:?xt=…" autoplay muted start="30"></shoal-player>
//
// The element makes a frame of SHOAL's `/embed` page (its origin is this script's) and talks
// to it with postMessage only, checking origins both ways: commands go to the frame's origin
// alone, and events are accepted only from this element's own frame at that origin. The frame
// is sandboxed without top navigation, so it cannot touch the page that embeds it.
//
// API: el.play(), el.pause(), el.seek(seconds), el.setSource(src), el.volume = 0..1
// (el.setVolume(v) too), el.muted, el.currentTime, el.duration, el.paused, el.stats.
// Events (CustomEvent, figures in `detail`): ready, play, pause, timeupdate, ended, error, stats.
// Attributes src, autoplay, muted and start can change at any time.
// Written as ES2017 so old TV browsers run it.
(function () {
  'use strict'
  if (!window.customElements || window.customElements.get('shoal-player')) return
  var script = document.currentScript
  var SHOAL = new URL(script && script.src ? script.src : location.href).origin
  var EVENTS = ['ready', 'play', 'pause', 'timeupdate', 'ended', 'error', 'stats']
  var players = new Set()

  window.addEventListener('message', function (event) {
    if (event.origin !== SHOAL) return
    var data = event.data
    if (!data || data.shoal !== 'event' || EVENTS.indexOf(data.type) < 0) return
    players.forEach(function (player) {
      if (player._frame && event.source === player._frame.contentWindow) player._receive(data.type, data.detail)
    })
  })

  class ShoalPlayer extends HTMLElement {
    static get observedAttributes () { return ['src', 'autoplay', 'muted', 'start'] }

    constructor () {
      super()
      this._frame = null
      this._ready = false
      this._queue = []
      this._state = { currentTime: 0, duration: null, paused: true, volume: 1, muted: false }
      this._stats = null
      var root = this.attachShadow({ mode: 'closed' })
      var style = document.createElement('style')
      style.textContent = ':host{display:block;position:relative;aspect-ratio:16/9;background:#000}' +
        'iframe{position:absolute;top:0;left:0;width:100%;height:100%;border:0}'
      root.appendChild(style)
      this._root = root
    }

    connectedCallback () {
      players.add(this)
      if (!this._frame) this._load()
    }

    disconnectedCallback () {
      players.delete(this)
    }

    attributeChangedCallback (name, before, after) {
      if (!this._frame || before === after) return
      if (name === 'src') this.setSource(after || '')
      else if (name === 'muted') this._send('muted', after !== null)
      else this._load()
    }

    _url () {
      var url = new URL('/embed', SHOAL)
      url.searchParams.set('src', this.getAttribute('src') || '')
      if (this.hasAttribute('autoplay')) url.searchParams.set('autoplay', '1')
      if (this.hasAttribute('muted')) url.searchParams.set('muted', '1')
      var start = Number(this.getAttribute('start'))
      if (start > 0) url.searchParams.set('start', String(start))
      url.searchParams.set('host', location.origin)
      return url.href
    }

    _load () {
      if (this._frame) this._frame.remove()
      this._ready = false
      var frame = document.createElement('iframe')
      frame.setAttribute('title', this.getAttribute('title') || 'Shoal video player')
      frame.setAttribute('allow', 'autoplay; fullscreen; picture-in-picture')
      frame.setAttribute('allowfullscreen', '')
      // Scripts and its own origin (for its Service Worker), popups for "watch on Shoal"; no
      // top navigation, no forms, no access to this page.
      frame.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-presentation')
      frame.setAttribute('referrerpolicy', 'origin')
      frame.src = this._url()
      this._frame = frame
      this._root.appendChild(frame)
    }

    _receive (type, detail) {
      if (type === 'ready') {
        this._ready = true
        var queued = this._queue
        this._queue = []
        queued.forEach(function (m) { this._post(m) }, this)
      } else if (type === 'stats') {
        this._stats = detail
      } else if (detail && typeof detail === 'object' && typeof detail.currentTime === 'number') {
        this._state = detail
      }
      this.dispatchEvent(new CustomEvent(type, { detail: detail }))
    }

    _post (message) {
      if (this._frame && this._frame.contentWindow) this._frame.contentWindow.postMessage(message, SHOAL)
    }

    _send (method, value) {
      var message = { shoal: 'command', method: method, value: value }
      if (this._ready) this._post(message)
      else this._queue.push(message)
    }

    play () { this._send('play') }
    pause () { this._send('pause') }
    seek (seconds) { this._send('seek', Number(seconds)) }
    setSource (src) {
      if (this.getAttribute('src') !== src) {
        // Keeps the attribute true; attributeChangedCallback comes back here with it equal.
        this.setAttribute('src', src)
        return
      }
      this._send('setSource', String(src))
    }

    setVolume (volume) { this._send('volume', Number(volume)) }
    get volume () { return this._state.volume }
    set volume (v) { this.setVolume(v) }
    get muted () { return this._state.muted }
    set muted (m) { this._send('muted', !!m) }
    get currentTime () { return this._state.currentTime }
    get duration () { return this._state.duration }
    get paused () { return this._state.paused }
    get stats () { return this._stats }
  }

  window.customElements.define('shoal-player', ShoalPlayer)
})()
