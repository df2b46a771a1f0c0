//! Live and HLS playback: the player every HLS stream goes through (Shoal's hls.js loader),
//! its stats panel, the channel list the companion publishes, and the "Live now" section.

pub(crate) mod channels;
pub(crate) mod panel;
pub(crate) mod player;
