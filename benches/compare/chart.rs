//! The SVG chart: throughput and server CPU per round trip of the line-echo scenarios, by
//! contender and connection count (plotters' SVG backend, no font stack needed).

use std::io;
use std::path::Path;

use plotters::prelude::*;

use crate::stats::Cell;

type Series = (String, Vec<(usize, f64, f64)>);

/// Per contender: (connections, rt/s, CPU µs/rt), for the echo scenarios it ran.
fn series(cells: &[Cell]) -> (Vec<usize>, Vec<Series>) {
    let mut xs: Vec<usize> = cells
        .iter()
        .filter_map(|c| c.scenario.chart_connections())
        .collect();
    xs.sort_unstable();
    xs.dedup();
    let mut out: Vec<Series> = Vec::new();
    for cell in cells.iter().filter(|c| c.failure.is_none()) {
        let Some(conns) = cell.scenario.chart_connections() else {
            continue;
        };
        let label = cell.contender.id.to_string();
        let i = match out.iter().position(|(l, _)| *l == label) {
            Some(i) => i,
            None => {
                out.push((label, Vec::new()));
                out.len() - 1
            }
        };
        out[i].1.push((conns, cell.rate, cell.cpu_us_per_rt));
    }
    for (_, points) in &mut out {
        points.sort_by_key(|p| p.0);
    }
    (xs, out)
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    xs: &[usize],
    all: &[Series],
    value: fn(&(usize, f64, f64)) -> f64,
    legend: SeriesLabelPosition,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let top = all
        .iter()
        .flat_map(|(_, p)| p.iter().map(value))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        * 1.1;
    let pos = |conns: usize| xs.iter().position(|&x| x == conns).unwrap_or(0) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.3f64..(xs.len() as f64 - 0.7), 0.0..top.max(1.0))
        .map_err(|e| e.to_string())?;
    let label_of = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < xs.len() {
            format!("{} conn", xs[i as usize])
        } else {
            String::new()
        }
    };
    let y_label = |y: &f64| {
        if top >= 10_000.0 {
            format!("{:.0}k", y / 1000.0)
        } else {
            format!("{y:.1}")
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(xs.len() * 2 + 1)
        .x_label_formatter(&label_of)
        .y_label_formatter(&y_label)
        .x_desc("connections (64-byte line echo, ping-pong)")
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (label, points)) in all.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let line: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| value(p).is_finite())
            .map(|p| (pos(p.0), value(p)))
            .collect();
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        chart
            .draw_series(line.into_iter().map(|p| Circle::new(p, 3, color.filled())))
            .map_err(|e| e.to_string())?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(legend)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

pub fn write(path: &Path, cells: &[Cell], subtitle: &str) -> io::Result<()> {
    let (xs, all) = series(cells);
    if xs.is_empty() {
        return Ok(());
    }
    let root = SVGBackend::new(path, (1400, 620)).into_drawing_area();
    let draw = || -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (title, body) = root.split_vertically(40);
        title
            .titled(subtitle, ("sans-serif", 16))
            .map_err(|e| e.to_string())?;
        let (left, right) = body.split_horizontally(700);
        draw_panel(
            &left,
            "round trips per second (higher is better)",
            &xs,
            &all,
            |p| p.1,
            SeriesLabelPosition::UpperLeft,
        )?;
        draw_panel(
            &right,
            "server CPU µs per round trip (lower is better)",
            &xs,
            &all,
            |p| p.2,
            SeriesLabelPosition::UpperRight,
        )?;
        root.present().map_err(|e| e.to_string())
    };
    draw().map_err(io::Error::other)
}
