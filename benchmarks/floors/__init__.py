"""The floors ``make bench`` measures each figure beside: the least a program doing that job
could cost on this machine, each a whole process as small as the job allows."""
