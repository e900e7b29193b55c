# Praat reference pitch for calmline's dsp tests: To Pitch (ac), 75-600 Hz, 10 ms,
# Praat's other defaults. Prints "time f0" per frame, f0 0 when unvoiced.
# usage: praat --run pitch.praat FILE.wav
form Pitch
	sentence file
endform
s = Read from file: file$
p = To Pitch (ac): 0.01, 75, 15, "no", 0.03, 0.45, 0.01, 0.35, 0.14, 600
n = Get number of frames
for i to n
	t = Get time from frame number: i
	f = Get value in frame: i, "Hertz"
	if f = undefined
		f = 0
	endif
	appendInfoLine: fixed$(t, 4), " ", fixed$(f, 2)
endfor
