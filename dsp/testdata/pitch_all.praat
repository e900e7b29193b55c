# Timing reference: Praat's To Pitch (ac), 75-600 Hz, 10 ms, on every WAV in a folder,
# in one Praat process. usage: praat --run pitch_all.praat /path/to/folder/
form Pitch of a folder
	sentence folder
endform
list = Create Strings as file list: "list", folder$ + "/*.wav"
n = Get number of strings
frames = 0
for i to n
	selectObject: list
	name$ = Get string: i
	s = Read from file: folder$ + "/" + name$
	p = To Pitch (ac): 0.01, 75, 15, "no", 0.03, 0.45, 0.01, 0.35, 0.14, 600
	frames += Get number of frames
	removeObject: s, p
endfor
writeInfoLine: n, " files, ", frames, " frames"
