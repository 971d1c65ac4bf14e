import { Menu, Notification, Tray, nativeImage, type NativeImage } from 'electron';
import type { DecisionRecord, StatusInfo } from '../../common/api/contract';
import { notificationText } from './notification-text';

const LEVEL_COLORS: Record<string, [number, number, number]> = {
  none: [107, 119, 133],
  low: [47, 125, 50],
  medium: [178, 106, 0],
  critical: [198, 40, 40],
};

/** A 16×16 disc in the level's colour (BGRA), drawn here so the app ships no icon files per level. */
function levelIcon(level: string): NativeImage {
  const [r, g, b] = LEVEL_COLORS[level] ?? LEVEL_COLORS.none;
  const size = 16;
  const buf = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = (x - 7.5) ** 2 + (y - 7.5) ** 2 <= 7 ** 2;
      buf.set(inside ? [b, g, r, 255] : [0, 0, 0, 0], (y * size + x) * 4);
    }
  }
  return nativeImage.createFromBitmap(buf, { width: size, height: size });
}

/** The tray icon shows the pressure level; a kill raises a desktop notification. */
export class PressureTray {
  private readonly tray: Tray;
  private level = '';

  constructor(showWindow: () => void, quit: () => void) {
    this.tray = new Tray(levelIcon('none'));
    this.tray.setToolTip('reclaimd');
    this.tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Show reclaimd', click: showWindow },
        { type: 'separator' },
        { label: 'Quit', click: quit },
      ]),
    );
    this.tray.on('click', showWindow);
  }

  showStatus(s: StatusInfo): void {
    if (s.level !== this.level) {
      this.level = s.level;
      this.tray.setImage(levelIcon(s.level));
    }
    this.tray.setToolTip(`reclaimd: pressure ${s.level} · ${s.policy} (${s.mode}) · ${s.kills} kills`);
  }

  notifyDecision(d: DecisionRecord): void {
    if (d.action !== 'kill' || d.result !== 'ok' || !Notification.isSupported()) return;
    new Notification({ title: notificationText(`reclaimd killed ${d.app}`), body: notificationText(`pid ${d.pid}: ${d.reason}`) }).show();
  }

  destroy(): void {
    this.tray.destroy();
  }
}
