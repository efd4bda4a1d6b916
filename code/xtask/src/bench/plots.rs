//! The SVG plots: throughput against threads (one per workload) and latency
//! against percentile (one per mix, for the latency and stall benchmarks).

use std::path::Path;

type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

use plotters::coord::combinators::IntoLogRange;
use plotters::prelude::*;

use crate::Result;

use super::catalog::{
    Workload, ELIMINATION, MUTEX, PARKING_LOT, RWLOCK, SECVEC, SEGQUEUE, STAGE3, THREADS, TREIBER,
};
use super::histograms::{distinct, Series};
use super::results::{find, Measurement};

/// Line colour and stroke width of each implementation, the same in every
/// plot; SecVec is drawn thicker.
pub fn style_of(implementation: &str) -> (RGBColor, u32) {
    match implementation {
        SECVEC => (RGBColor(200, 30, 30), 3),
        MUTEX => (RGBColor(31, 100, 180), 2),
        RWLOCK => (RGBColor(40, 150, 60), 2),
        PARKING_LOT => (RGBColor(150, 80, 190), 2),
        STAGE3 => (RGBColor(230, 140, 20), 2),
        ELIMINATION => (RGBColor(240, 110, 150), 2),
        SEGQUEUE => (RGBColor(20, 160, 170), 2),
        TREIBER => (RGBColor(140, 90, 40), 2),
        _ => (RGBColor(90, 90, 90), 2),
    }
}

/// Whole decades around `values`, for a readable logarithmic axis.
fn decades(values: impl Iterator<Item = f64>, smallest: f64) -> (f64, f64) {
    let (low, high) = values.fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let low = 10f64.powf(low.max(smallest).log10().floor());
    let high = 10f64.powf(high.max(low * 10.0).log10().ceil());
    (low, high)
}

/// The legend, beside the chart so it never hides a line: `title`, then a
/// line sample and a name per implementation, then `notes` in small print.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    implementations: &[&str],
    notes: &[&str],
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let x = 12;
    let mut y = 70;
    area.draw(&Text::new(
        title.to_string(),
        (x, y - 30),
        ("sans-serif", 15).into_font().color(&BLACK),
    ))?;
    for implementation in implementations {
        let (color, width) = style_of(implementation);
        area.draw(&PathElement::new(
            vec![(x, y), (x + 30, y)],
            color.stroke_width(width),
        ))?;
        area.draw(&Circle::new((x + 15, y), width + 2, color.filled()))?;
        area.draw(&Text::new(
            implementation.to_string(),
            (x + 40, y - 7),
            ("sans-serif", 14).into_font().color(&BLACK),
        ))?;
        y += 30;
    }
    for note in notes {
        area.draw(&Text::new(
            note.to_string(),
            (x, y),
            ("sans-serif", 12).into_font().color(&BLACK),
        ))?;
        y += 18;
    }
    Ok(())
}

/// Draws `workload`'s plot to `path`; `false` if there was nothing to draw.
pub fn plot(workload: &Workload, measurements: &[Measurement], path: &Path) -> Result<bool> {
    let series: Vec<(&str, Vec<(f64, f64)>)> = workload
        .implementations
        .iter()
        .map(|implementation| {
            let points = THREADS
                .iter()
                .filter_map(|&t| {
                    let m = find(measurements, workload.id, implementation, t)?;
                    Some((f64::from(t), m.ops_per_sec / 1e6))
                })
                .collect();
            (*implementation, points)
        })
        .filter(|(_, points): &(&str, Vec<_>)| !points.is_empty())
        .collect();
    if series.is_empty() {
        return Ok(false);
    }
    draw(workload, &series, path).map_err(|e| format!("could not draw {}: {e}", path.display()))?;
    Ok(true)
}

fn draw(workload: &Workload, series: &[(&str, Vec<(f64, f64)>)], path: &Path) -> DrawResult {
    let values = series.iter().flat_map(|(_, p)| p.iter().map(|&(_, y)| y));
    let (low, high) = decades(values, 1e-3);

    let root = SVGBackend::new(path, (760, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    let (chart_area, legend_area) = root.split_horizontally(540);
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(workload.caption, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d((0.8f64..10.0).log_scale(), (low..high).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("threads")
        .y_desc("million operations per second (log scale)")
        .disable_x_mesh()
        // Only the thread counts measured get a label.
        .x_label_formatter(&|x| {
            let threads = x.round();
            if (x - threads).abs() < 1e-6 && THREADS.contains(&(threads as u32)) {
                format!("{threads}")
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| {
            if *y >= 1.0 {
                format!("{y:.0}")
            } else {
                format!("{y}")
            }
        })
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()?;
    for (implementation, points) in series {
        let (color, width) = style_of(implementation);
        chart.draw_series(LineSeries::new(
            points.iter().copied(),
            color.stroke_width(width),
        ))?;
        chart.draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, width + 2, color.filled())),
        )?;
    }

    let names: Vec<&str> = series.iter().map(|(name, _)| *name).collect();
    legend(&legend_area, "implementation", &names, &[])?;
    root.present()?;
    Ok(())
}

/// The x coordinate of quantile `q` in a percentile plot: its count of
/// nines, −log10(1 − q), so that 90%, 99%, 99.9% ... are one apart. The
/// maximum (quantile 1) goes one further than `last`, the highest count of
/// nines plotted.
fn nines(q: f64, last: f64) -> f64 {
    if q >= 1.0 {
        last + 1.0
    } else {
        -(1.0 - q).log10()
    }
}

/// The label of x coordinate `x` of a percentile plot whose maximum is at
/// `max_x`: "90%", "99.9%", "max", or nothing between whole nines.
fn percentile_label(x: f64, max_x: f64) -> String {
    let whole = x.round();
    if (x - whole).abs() > 1e-6 || whole < 1.0 {
        String::new()
    } else if (whole - max_x).abs() < 1e-6 {
        "max".to_string()
    } else {
        let percent = 100.0 * (1.0 - 10f64.powf(-whole));
        format!("{percent:.*}%", (whole as usize).saturating_sub(2))
    }
}

/// The label of a latency axis line: "10 ns", "1 µs", "100 ms", at whole
/// decades.
fn decade_label(nanos: f64) -> String {
    let (value, unit) = match nanos {
        n if n < 1e3 => (n, "ns"),
        n if n < 1e6 => (n / 1e3, "µs"),
        n if n < 1e9 => (n / 1e6, "ms"),
        n => (n / 1e9, "s"),
    };
    format!("{value:.0} {unit}")
}

/// A percentile plot of one mix (`mix`, titled `caption`): latency against
/// percentile on logarithmic axes, a panel per thread count and a line per
/// structure. The `solid` series are drawn solid, the `dashed` ones (if any)
/// thin and dashed in the same colour; of a stall benchmark's several
/// settings, the first. `false` if there was nothing to draw.
pub fn percentile_plot(
    series: &[Series],
    mix: &str,
    caption: &str,
    (solid, dashed): (&str, Option<&str>),
    notes: &[&str],
    path: &Path,
) -> Result<bool> {
    // Only the first stall setting, if a hand-made run tried several.
    let setting = |s: &Series| (s.stall_us, s.period_ms);
    let first = series.iter().find(|s| s.workload == mix).map(setting);
    let drawn: Vec<&Series> = series
        .iter()
        .filter(|s| s.workload == mix && Some(setting(s)) == first)
        .filter(|s| s.series == solid || Some(s.series.as_str()) == dashed)
        .collect();
    if drawn.is_empty() {
        return Ok(false);
    }
    draw_percentiles(&drawn, caption, solid, notes, path)
        .map_err(|e| format!("could not draw {}: {e}", path.display()))?;
    Ok(true)
}

fn draw_percentiles(
    drawn: &[&Series],
    caption: &str,
    solid: &str,
    notes: &[&str],
    path: &Path,
) -> DrawResult {
    let owned: Vec<Series> = drawn.iter().map(|s| (*s).clone()).collect();
    let threads = distinct(&owned, |s| s.threads);
    let structures = distinct(&owned, |s| s.structure.clone());
    let last = drawn
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(q, _)| *q < 1.0)
        .map(|&(q, _)| nines(q, 0.0))
        .fold(1.0, f64::max)
        .round();
    let max_x = last + 1.0;
    let values = drawn.iter().flat_map(|s| s.points.iter().map(|&(_, y)| y));
    let (low, high) = decades(values, 1.0);

    let columns = threads.len().min(2);
    let rows = threads.len().div_ceil(2);
    let size = (980, 60 + 300 * rows as u32);
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    let (charts, legend_area) = root.split_horizontally(760);
    let charts = charts.titled(caption, ("sans-serif", 20))?;
    let panels = charts.split_evenly((rows, columns));
    for (panel, &t) in panels.iter().zip(&threads) {
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{t} threads"), ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.25f64..max_x + 0.25, (low..high).log_scale())?;
        chart
            .configure_mesh()
            .x_labels(2 * (max_x as usize + 1))
            .x_label_formatter(&|x| percentile_label(*x, max_x))
            .y_label_formatter(&|y| decade_label(*y))
            .x_desc("percentile")
            .y_desc("latency (log scale)")
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .draw()?;
        for s in drawn.iter().filter(|s| s.threads == t) {
            let (color, width) = style_of(&s.structure);
            let points = s.points.iter().map(move |&(q, y)| (nines(q, last), y));
            if s.series == solid {
                chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(width)))?;
                chart.draw_series(points.map(|p| Circle::new(p, width, color.filled())))?;
            } else {
                chart.draw_series(DashedLineSeries::new(points, 6, 4, color.stroke_width(1)))?;
            }
        }
    }
    let names: Vec<&str> = structures.iter().map(String::as_str).collect();
    legend(&legend_area, "structure", &names, notes)?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_sit_one_nine_apart() {
        assert!((nines(0.9, 5.0) - 1.0).abs() < 1e-9);
        assert!((nines(0.999, 5.0) - 3.0).abs() < 1e-9);
        assert_eq!(nines(1.0, 5.0), 6.0);
        assert_eq!(percentile_label(1.0, 6.0), "90%");
        assert_eq!(percentile_label(2.0, 6.0), "99%");
        assert_eq!(percentile_label(4.0, 6.0), "99.99%");
        assert_eq!(percentile_label(6.0, 6.0), "max");
        assert_eq!(percentile_label(1.5, 6.0), "");
        assert_eq!(decade_label(10.0), "10 ns");
        assert_eq!(decade_label(1e5), "100 µs");
        assert_eq!(decade_label(1e9), "1 s");
    }
}
