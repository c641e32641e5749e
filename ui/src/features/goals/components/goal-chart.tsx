import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import { useWidth } from "@/components/use-width";
import { COLORS } from "@/features/projects/api";
import { formatDay, formatNumber } from "@/lib/format";
import type { GoalStats } from "../api";

const FALLBACK = "var(--chart-1)";
const axis = { stroke: "var(--muted-foreground)", fontSize: 11, tickLine: false, axisLine: false } as const;
const tooltipStyle = {
  contentStyle: { background: "var(--popover)", border: "1px solid var(--border)", borderRadius: 8, fontSize: 12 },
  labelStyle: { color: "var(--popover-foreground)" },
  itemStyle: { color: "var(--popover-foreground)" },
  cursor: { fill: "var(--muted)", opacity: 0.5 },
};

const colorOf = (goal: GoalStats) => (goal.color ? COLORS[goal.color] : FALLBACK);

/** One daily goal: bars (or a line) per day. */
export function DailyChart({ goal, kind }: { goal: GoalStats; kind: "bar" | "line" }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const data = goal.daily ?? [];
  const height = 180;
  return (
    <div ref={ref} className="h-[180px] w-full" role="img" aria-label={goal.name}>
      {width > 0 &&
        (kind === "bar" ? (
          <BarChart width={width} height={height} data={data} margin={{ top: 8, right: 4, bottom: 0, left: -16 }}>
            <CartesianGrid vertical={false} stroke="var(--border)" />
            <XAxis dataKey="date" tickFormatter={formatDay} {...axis} minTickGap={16} />
            <YAxis allowDecimals={false} {...axis} tickFormatter={formatNumber} />
            <Tooltip {...tooltipStyle} labelFormatter={(day) => formatDay(String(day))} formatter={(value) => [formatNumber(Number(value)), goal.name]} />
            <Bar dataKey="value" fill={colorOf(goal)} radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        ) : (
          <LineChart width={width} height={height} data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid vertical={false} stroke="var(--border)" />
            <XAxis dataKey="date" tickFormatter={formatDay} {...axis} minTickGap={16} />
            <YAxis allowDecimals={false} {...axis} tickFormatter={formatNumber} />
            <Tooltip {...tooltipStyle} labelFormatter={(day) => formatDay(String(day))} formatter={(value) => [formatNumber(Number(value)), goal.name]} />
            <Line dataKey="value" stroke={colorOf(goal)} strokeWidth={2} dot={false} isAnimationActive={false} />
          </LineChart>
        ))}
    </div>
  );
}

/** Several daily goals on one set of axes. */
export function CompareChart({ goals }: { goals: GoalStats[] }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const days = goals[0]?.daily?.map((point) => point.date) ?? [];
  const data = days.map((date, index) => ({
    date,
    ...Object.fromEntries(goals.map((goal) => [goal.slug, goal.daily?.[index]?.value ?? 0])),
  }));
  return (
    <div ref={ref} className="h-[260px] w-full" role="img" aria-label={goals.map((goal) => goal.name).join(", ")}>
      {width > 0 && (
        <LineChart width={width} height={260} data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid vertical={false} stroke="var(--border)" />
          <XAxis dataKey="date" tickFormatter={formatDay} {...axis} minTickGap={16} />
          <YAxis allowDecimals={false} {...axis} tickFormatter={formatNumber} />
          <Tooltip {...tooltipStyle} labelFormatter={(day) => formatDay(String(day))} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {goals.map((goal, index) => (
            <Line
              key={goal.slug}
              dataKey={goal.slug}
              name={goal.name}
              stroke={goal.color ? COLORS[goal.color] : `var(--chart-${(index % 5) + 1})`}
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      )}
    </div>
  );
}
