import { dailyPnl } from './daily-pnl';
import { dec, sum } from './decimal';

const snapshot = (unrealized: string) => ({ unrealizedPnlBrl: dec(unrealized) });

describe('dailyPnl', () => {
  it('is the whole unrealized P&L on the first mark, when there is no earlier snapshot', () => {
    expect(dailyPnl(dec('1250.50'), undefined).toFixed()).toBe('1250.5');
    expect(dailyPnl(dec('-300'), null).toFixed()).toBe('-300');
  });

  it("is today's unrealized minus the previous day's snapshot's unrealized", () => {
    // 1,500.25 − 1,250.50 = 249.75; a fall: 900 − 1,250.50 = −350.50.
    expect(dailyPnl(dec('1500.25'), snapshot('1250.50')).toFixed()).toBe('249.75');
    expect(dailyPnl(dec('900'), snapshot('1250.50')).toFixed()).toBe('-350.5');
  });

  it('gives the same figure when a day is marked twice, since both marks measure against the day before', () => {
    const before = snapshot('1000');
    expect(dailyPnl(dec('1100'), before).toFixed()).toBe('100');
    expect(dailyPnl(dec('1100'), before).toFixed()).toBe('100');
  });

  it("on the close day is the realized P&L minus the previous snapshot's unrealized, so the life's dailies sum to the realized", () => {
    // Marks of 100 then 150 unrealized, then a close realizing 130 after costs: 100 + 50 − 20 = 130.
    const days = [dailyPnl(dec(100), undefined), dailyPnl(dec(150), snapshot('100')), dailyPnl(dec(130), snapshot('150'))];
    expect(days.map((d) => d.toFixed())).toEqual(['100', '50', '-20']);
    expect(sum(days).toFixed()).toBe('130');
  });
});
